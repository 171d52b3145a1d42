// Internal layout of the span table shared by the parsers, the linker and the interval code.
#pragma once

#include <cstdint>
#include <deque>
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

/// Maps strings to dense int32 ids, first come first numbered.
class Interner {
 public:
  int32_t intern(std::string_view text) {
    auto found = index_.find(text);
    if (found != index_.end()) return found->second;
    auto id = static_cast<int32_t>(strings_.size());
    strings_.emplace_back(text);  // a deque never moves its elements, so views stay valid
    index_.emplace(std::string_view(strings_.back()), id);
    return id;
  }
  const std::string &at(int32_t id) const { return strings_[static_cast<size_t>(id)]; }
  /// The id of `text` if it is interned, else kNone (-1); never inserts.
  int32_t find(std::string_view text) const {
    auto found = index_.find(text);
    return found == index_.end() ? -1 : found->second;
  }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, int32_t> index_;
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

  /// Per attribute key: distinct values recorded so far, and whether the key is exempt (a
  /// route, needed for endpoints). Beyond max_distinct_values a key's new values are counted as
  /// unrecorded (text kNone): ids, URLs with ids and SQL with literals cost one hash probe each
  /// instead of a copy and a hash-table insert, and never reach Swift.
  struct ValueBudget {
    int32_t recorded = 0;
    bool exempt = false;
  };
  int32_t max_distinct_values = 1024;
  std::unordered_map<int32_t, ValueBudget> value_budget;
  int64_t unrecorded_values = 0;
  int32_t value_id(int32_t key, std::string_view text);

  wsl_quality quality{};
  int32_t last_trace = -1;          // trace_for's one-entry cache
  std::string_view last_trace_text;  // views strings' stored copy
  std::vector<std::string> notes;  // what the readers inferred (units, service names), once each

  std::string error_message;
  int64_t error_offset = -1;

  size_t span_count() const { return trace_index.size(); }

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

  void fail(const whyslow::ParseError &error) {
    error_message = error.message;
    error_offset = error.offset;
  }
};

namespace whyslow {

/// The format parsers: each appends rows to `table` or throws ParseError / simdjson errors.
/// `base` is the start of the input, for byte offsets.
void read_jaeger(wsl_span_table &table, const char *bytes, size_t length);
void read_otlp(wsl_span_table &table, const char *bytes, size_t length);
void read_zipkin(wsl_span_table &table, const char *bytes, size_t length);
void read_csv(wsl_span_table &table, const char *bytes, size_t length, const char *columns);

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
