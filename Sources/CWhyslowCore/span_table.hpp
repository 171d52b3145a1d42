// Internal layout of the span table shared by the parsers, the linker and the interval code.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "whyslow_core.h"

namespace whyslow {

/// a − b, saturated to the int64 range: times of hostile input can lie far apart, and signed
/// overflow must never turn them into plausible values.
inline int64_t saturating_difference(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_sub_overflow(a, b, &result)) return b < 0 ? INT64_MAX : INT64_MIN;
  return result;
}

/// A fast hash of short byte strings: 8 bytes at a time, each folded in by a 64×64→128-bit
/// multiply (as wyhash does).
inline uint64_t hash_bytes(std::string_view text) {
  auto fold = [](uint64_t x) {
    __uint128_t product = static_cast<__uint128_t>(x) * 0x9E3779B97F4A7C15ull;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  };
  const char *at = text.data();
  size_t left = text.size();
  uint64_t hash = 0xA0761D6478BD642Full ^ left;
  for (; left >= 8; at += 8, left -= 8) {
    uint64_t word;
    std::memcpy(&word, at, 8);
    hash = fold(hash ^ word);
  }
  uint64_t tail = 0;
  if (left > 0) std::memcpy(&tail, at, left);  // an empty view may hold a null pointer
  return fold(hash ^ tail ^ 0xE7037ED1A0B428DBull);
}

/// Maps strings to dense int32 ids, first come first numbered: an open-addressing table of
/// 8-byte slots (half of each string's hash and its id), so a lookup is one hash and, almost
/// always, one probe and, when the halves match, one compare. The bytes live in an arena of
/// chunks that never move, freed all at once with the interner. Strings of up to 16 bytes (tag
/// keys, methods, status codes, ports) are looked up first in a small direct-mapped cache that
/// holds them as two words: a hit is two compares, no probe and no memcmp.
class Interner {
 public:
  int32_t intern(std::string_view text) {
    ShortString key;
    CacheEntry *cached = key.read(text) ? &cache_[key.slot()] : nullptr;
    if (cached != nullptr && cached->key == key) return cached->id;
    uint64_t hash = hash_bytes(text);
    Slot &slot = slots_[probe(text, hash)];
    int32_t id = slot.id;
    if (id < 0) {
      id = static_cast<int32_t>(views_.size());
      views_.push_back(store(text));
      slot = {static_cast<uint32_t>(hash >> 32), id};
      if (2 * views_.size() > slots_.size()) grow();
    }
    if (cached != nullptr) *cached = {key, id};
    return id;
  }
  std::string_view at(int32_t id) const { return views_[static_cast<size_t>(id)]; }
  /// The id of `text` if it is interned, else kNone (-1); never inserts.
  int32_t find(std::string_view text) {
    ShortString key;
    CacheEntry *cached = key.read(text) ? &cache_[key.slot()] : nullptr;
    if (cached != nullptr && cached->key == key) return cached->id;
    int32_t id = slots_[probe(text, hash_bytes(text))].id;
    if (cached != nullptr && id >= 0) *cached = {key, id};
    return id;
  }
  size_t size() const { return views_.size(); }

 private:
  /// A string of at most 16 bytes as two words that, with its length, are the string; read
  /// without touching a byte past its end (overlapping loads, as wyhash reads short inputs).
  struct ShortString {
    uint64_t low = 0, high = 0;
    uint32_t length = UINT32_MAX;  // no string
    bool read(std::string_view text) {
      const char *at = text.data();
      size_t n = text.size();
      if (n > 16) return false;
      if (n >= 8) {
        std::memcpy(&low, at, 8);
        std::memcpy(&high, at + n - 8, 8);
      } else if (n >= 4) {
        uint32_t first, last;
        std::memcpy(&first, at, 4);
        std::memcpy(&last, at + n - 4, 4);
        low = first;
        high = last;
      } else if (n > 0) {
        low = static_cast<uint64_t>(static_cast<uint8_t>(at[0])) | static_cast<uint64_t>(static_cast<uint8_t>(at[n / 2])) << 8 |
              static_cast<uint64_t>(static_cast<uint8_t>(at[n - 1])) << 16;
      }
      length = static_cast<uint32_t>(n);
      return true;
    }
    size_t slot() const {
      uint64_t mixed = (low * 0x9E3779B97F4A7C15ull) ^ (high * 0xC2B2AE3D27D4EB4Full) ^ length;
      return static_cast<size_t>(mixed >> (64 - kCacheBits));
    }
    bool operator==(const ShortString &other) const {
      return low == other.low && high == other.high && length == other.length;
    }
  };
  struct CacheEntry {
    ShortString key;
    int32_t id = -1;
  };
  static constexpr int kCacheBits = 9;

  /// 8 bytes, so that the slots of a table of tens of thousands of strings stay in cache: the
  /// hash's upper half (compared before the bytes) and the id (whose view has the bytes).
  struct Slot {
    uint32_t tag = 0;
    int32_t id = -1;
  };

  /// The slot holding `text`, or the empty slot where it belongs (linear probing).
  size_t probe(std::string_view text, uint64_t hash) const {
    size_t mask = slots_.size() - 1;
    auto tag = static_cast<uint32_t>(hash >> 32);
    for (size_t at = hash & mask;; at = (at + 1) & mask) {
      const Slot &slot = slots_[at];
      if (slot.id < 0) return at;
      if (slot.tag != tag) continue;
      std::string_view stored = views_[static_cast<size_t>(slot.id)];
      if (stored.size() == text.size() && (text.empty() || std::memcmp(stored.data(), text.data(), text.size()) == 0)) {
        return at;
      }
    }
  }

  void grow() {
    std::vector<Slot> old(2 * slots_.size());
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const Slot &slot : old) {
      if (slot.id < 0) continue;
      size_t at = hash_bytes(views_[static_cast<size_t>(slot.id)]) & mask;  // rare: the table doubles
      while (slots_[at].id >= 0) at = (at + 1) & mask;
      slots_[at] = slot;
    }
  }

  /// A copy of `text` in the arena.
  std::string_view store(std::string_view text) {
    constexpr size_t kChunk = 256 << 10;
    if (text.size() > kChunk / 4) {  // a long string gets a chunk of its own
      chunks_.emplace_back(new char[text.size() + 1]);
      std::memcpy(chunks_.back().get(), text.data(), text.size());
      return {chunks_.back().get(), text.size()};
    }
    if (chunks_.empty() || chunk_left_ < text.size()) {
      chunks_.emplace_back(new char[kChunk]);
      chunk_free_ = chunks_.back().get();
      chunk_left_ = kChunk;
    }
    char *at = chunk_free_;
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    chunk_free_ += text.size();
    chunk_left_ -= text.size();
    return {at, text.size()};
  }

  std::vector<std::string_view> views_;
  std::vector<Slot> slots_ = std::vector<Slot>(1024);  // a power of two, at most half full
  std::vector<CacheEntry> cache_ = std::vector<CacheEntry>(size_t{1} << kCacheBits);
  std::vector<std::unique_ptr<char[]>> chunks_;
  char *chunk_free_ = nullptr;
  size_t chunk_left_ = 0;
};

/// Sentinel for "no string" in id columns.
constexpr int32_t kNone = -1;

/// One typed attribute of a span while it is being read; the views point into the input.
struct Attribute {
  std::string_view key;
  std::string_view text;  // the value as written (numbers and bools too)
  double number;          // the value as a number, NaN when not numeric
  int8_t type;            // wsl_attribute_type
  int64_t time_nanos = 0;  // an event's timestamp
  bool recorded = true;    // false: a value counted, not recorded, when first read (span records)
};

/// A span id as the table keys it: up to 16 hex digits as their value (space 0), any other
/// text interned (space 1). The linker marks the server half of a Zipkin shared span by
/// adding 2 to the space. Space -1: no id.
struct SpanKey {
  uint64_t value = 0;
  int8_t space = -1;
  bool present() const { return space >= 0; }
  bool operator==(const SpanKey &other) const { return value == other.value && space == other.space; }
};

/// One span as a parser hands it over. Views point into the input (or the parser's string
/// buffer), valid until the parser moves to the next document.
struct Row {
  std::string_view trace_id;
  std::string normalized_trace_id;  // used instead of trace_id when not empty
  SpanKey span;
  SpanKey parent;
  std::string_view service;
  std::string_view operation;
  int64_t start_nanos = 0;
  int64_t duration_nanos = 0;
  int8_t edge_kind = WSL_EDGE_NONE;  // meaningful when parent is present
  int8_t span_kind = WSL_KIND_UNSPECIFIED;
  int8_t error = 0;

  std::string_view trace() const { return normalized_trace_id.empty() ? trace_id : normalized_trace_id; }

  /// Sets a trace id given as hex of any case or base64 (OTLP, Zipkin).
  void set_encoded_trace_id(std::string_view id);
};

/// A parse failure with its byte offset in the input (-1 when unknown).
struct ParseError {
  wsl_status status;
  std::string message;
  int64_t offset;
};

}  // namespace whyslow

/// The table behind the opaque C handle: one vector per column.
struct wsl_span_table {
  whyslow::Interner strings;   // services, operations, trace ids, attribute keys and values
  whyslow::Interner span_ids;  // span ids that are not hex, kept apart so they never reach Swift
  std::unordered_map<int32_t, int32_t> trace_by_id;  // trace id string -> trace index
  std::vector<int32_t> trace_ids;                    // trace index -> trace id string

  // Span columns.
  std::vector<int32_t> trace_index;
  std::vector<whyslow::SpanKey> span_id;
  std::vector<whyslow::SpanKey> parent_span_id;  // space -1: no parent
  std::vector<int8_t> edge_kind;
  std::vector<int8_t> span_kind;
  std::vector<int32_t> parent_index;  // filled by link
  std::vector<int32_t> service;
  std::vector<int32_t> operation;
  std::vector<int64_t> start_nanos;
  std::vector<int64_t> duration_nanos;
  std::vector<int8_t> error;

  // Attribute columns: one row per (span, key).
  std::vector<int32_t> attribute_span;
  std::vector<int32_t> attribute_key;
  std::vector<int32_t> attribute_text;
  std::vector<double> attribute_number;
  std::vector<int8_t> attribute_type;
  std::vector<int64_t> attribute_time;

  /// Per attribute key, by its string id: distinct values recorded so far, and whether the key
  /// is exempt (a route, needed for endpoints). Beyond max_distinct_values a key's new values
  /// are counted as unrecorded (text kNone): ids, URLs with ids and SQL with literals cost one
  /// hash probe each instead of a copy and a hash-table insert, and never reach Swift.
  struct ValueBudget {
    int32_t recorded = 0;
    bool exempt = false;
    bool seen = false;
  };
  int32_t max_distinct_values = 1024;
  std::vector<ValueBudget> value_budget;
  int64_t unrecorded_values = 0;
  int32_t value_id(int32_t key, std::string_view text);

  wsl_quality quality{};
  int32_t last_trace = -1;          // trace_for's one-entry cache
  std::string_view last_trace_text;  // views strings' stored copy
  std::vector<std::string> notes;  // what the readers inferred (units, service names), once each

  /// What a reader skipped and where (a JSON Lines file's cut last line): the byte offset in
  /// the input, and the place ("12:1") wsl_parse names it by.
  struct Warning {
    int64_t offset;
    std::string message;
    std::string place;
  };
  std::vector<Warning> warnings;

  std::string error_message;
  std::string error_place;  // "12:5", "12:5 of the decompressed data", or empty when unknown

  size_t span_count() const { return trace_index.size(); }

  /// Whether nothing has been read into the table yet.
  bool empty() const { return span_count() == 0 && trace_ids.empty() && strings.size() == 0 && notes.empty(); }

  /// Forgets everything read, keeping the settings (the value limit).
  void clear() {
    int32_t limit = max_distinct_values;
    *this = wsl_span_table();
    max_distinct_values = limit;
  }

  /// Room for `spans` spans and `attributes` attribute rows in an empty table, before a file is
  /// read into it: one allocation per column instead of a doubling series of copies (capacity
  /// never touched costs no memory).
  void reserve(size_t spans, size_t attributes);

  int32_t trace_for(std::string_view id) {
    if (last_trace >= 0 && id == last_trace_text) return last_trace;  // spans of a trace come together
    int32_t string_id = strings.intern(id);
    last_trace_text = strings.at(string_id);
    auto found = trace_by_id.find(string_id);
    if (found != trace_by_id.end()) return last_trace = found->second;
    auto index = static_cast<int32_t>(trace_ids.size());
    trace_ids.push_back(string_id);
    trace_by_id.emplace(string_id, index);
    return last_trace = index;
  }

  /// The key of a span id given as text: hex digits by value, anything else interned.
  whyslow::SpanKey span_key(std::string_view id);

  void append(const whyslow::Row &row, const whyslow::Attribute *attributes, size_t attribute_count);
  void note(const std::string &text);

  void fail(const whyslow::ParseError &error) { error_message = error.message; }
};

namespace whyslow {

/// The JSON format readers: each reads one document (a whole file, or one line of JSON Lines)
/// that starts at byte `offset` of the input, appends its rows to `table`, and throws
/// ParseError (offsets in the input) or simdjson errors.
void read_jaeger_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset);
void read_otlp_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset);
void read_zipkin_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset);

/// A Jaeger query-API reply {"data":[trace,...]} held in padded memory, read trace by trace in
/// place into an empty table (simdjson's buffers then grow with the largest trace, not with the
/// file); false, the table left empty, for any other shape.
bool read_jaeger_reply(wsl_span_table &table, const char *bytes, size_t length);

/// Reads a span-table CSV piece by piece, as it is decompressed: the header from the first
/// piece, then whole records.
class CsvReader {
 public:
  /// `columns` (may be null) maps columns by hand: "trace=TraceID,duration=Duration:ns,...".
  CsvReader(wsl_span_table &table, const char *columns);
  ~CsvReader();

  /// Reads the whole records at the start of `bytes`, which start at a record's start; with
  /// `last`, everything. Returns the bytes read.
  size_t read(const char *bytes, size_t length, bool last);

  /// Throws when records were found and none could be read, naming the first one.
  void finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

void read_span_records(wsl_span_table &table, const char *bytes, size_t length);

/// OTLP protobuf: one message (TracesData, ExportTraceServiceRequest, a Tempo trace) starting at
/// byte `offset` of the input.
void read_otlp_protobuf_message(wsl_span_table &table, const char *bytes, size_t length, int64_t offset);
/// Whether `bytes` start as the Collector file exporter's framing: 4 big-endian length bytes,
/// then a protobuf message, a JSON object or a zstd frame.
bool is_framed_otlp(const char *bytes, size_t length);
/// Whether `bytes` start as an OTLP protobuf message: field 1 with a length that fits.
bool is_otlp_protobuf_message(const char *bytes, size_t length);
/// Reads the file exporter's framed messages; a zstd-compressed message inflates to at most
/// `limit` bytes. A last message cut short is skipped with a warning.
void read_framed_otlp(wsl_span_table &table, const char *bytes, size_t length, size_t limit);

/// The first line of a span records file.
constexpr const char *kSpanRecordsMagic = WSL_SPAN_RECORDS_MAGIC;

/// Lower-case hex of a trace id given as hex (any case) or base64 (protobuf JSON); empty when
/// `id` is already lower-case hex and can be used as it is.
std::string normalized_trace_id(std::string_view id);

inline void Row::set_encoded_trace_id(std::string_view id) {
  trace_id = id;
  normalized_trace_id = whyslow::normalized_trace_id(id);
}

/// The key of a span id given as hex (any case) or base64 (protobuf JSON).
SpanKey otlp_span_key(wsl_span_table &table, std::string_view id);

/// Span kind from a name as Jaeger, Zipkin or OTLP spell it ("server", "SPAN_KIND_CLIENT", ...).
int8_t span_kind_from_name(std::string_view name);

}  // namespace whyslow
