// The single parsing entry point: gzip, format detection, dispatch to the readers, and the
// helpers the readers share (ids, span kinds, the per-thread simdjson parser).

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "decompress.hpp"
#include "json_reader.hpp"

namespace whyslow {

simdjson::ondemand::parser &thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

simdjson::padded_string padded(const char *bytes, size_t length) {
  return simdjson::padded_string(bytes, length);
}

const char *&readable_end() {
  thread_local const char *end = nullptr;
  return end;
}

namespace {

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

namespace {

/// Bytes of a base64 (standard or URL alphabet, padding optional) text; false if it is not.
bool decode_base64(std::string_view text, std::string &bytes) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = base64_value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return true;
}

/// Protobuf JSON writes 16-byte trace ids and 8-byte span ids as padded base64.
bool looks_base64(std::string_view id) { return (id.size() == 24 || id.size() == 12) && id.back() == '='; }

}  // namespace

bool is_json_lines(const char *bytes, size_t length) {
  const char *end = bytes + length;
  const char *line = bytes;
  while (line < end && (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')) ++line;
  const char *newline = static_cast<const char *>(std::memchr(line, '\n', static_cast<size_t>(end - line)));
  if (newline == nullptr) return false;
  const char *last = newline;
  while (last > line && (last[-1] == ' ' || last[-1] == '\r' || last[-1] == '\t')) --last;
  return line < last && *line == '{' && last[-1] == '}';
}

std::string normalized_trace_id(std::string_view id) {
  static const char digits[] = "0123456789abcdef";
  std::string bytes;
  if (!is_hex(id)) {
    if (!looks_base64(id) || !decode_base64(id, bytes)) return std::string();  // use as given
    std::string out;
    for (char byte : bytes) {
      out += digits[static_cast<uint8_t>(byte) >> 4];
      out += digits[static_cast<uint8_t>(byte) & 15];
    }
    return out;
  }
  if (std::none_of(id.begin(), id.end(), [](char c) { return c >= 'A' && c <= 'F'; })) return std::string();
  std::string out(id);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

SpanKey otlp_span_key(wsl_span_table &table, std::string_view id) {
  std::string bytes;
  if (looks_base64(id) && decode_base64(id, bytes) && bytes.size() == 8) {
    uint64_t value = 0;
    for (char byte : bytes) value = value << 8 | static_cast<uint8_t>(byte);
    return {value, 0};
  }
  return table.span_key(id);
}

namespace {

/// Whether `text` is `lower` in any case (`lower` is lower-case ASCII).
bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c) != lower[i]) return false;
  }
  return true;
}

}  // namespace

int8_t span_kind_from_name(std::string_view name) {
  if (name.size() > 10 && equals_ignoring_case(name.substr(0, 10), "span_kind_")) name.remove_prefix(10);
  if (equals_ignoring_case(name, "server")) return WSL_KIND_SERVER;
  if (equals_ignoring_case(name, "client")) return WSL_KIND_CLIENT;
  if (equals_ignoring_case(name, "producer")) return WSL_KIND_PRODUCER;
  if (equals_ignoring_case(name, "consumer")) return WSL_KIND_CONSUMER;
  if (equals_ignoring_case(name, "internal")) return WSL_KIND_INTERNAL;
  return WSL_KIND_UNSPECIFIED;
}

namespace {

bool contains(std::string_view haystack, const char *needle) { return haystack.find(needle) != std::string_view::npos; }

/// Whether `head` (an input's first bytes) holds a NUL byte, which no text format has (a
/// protobuf file, an image, a run of zeros).
bool is_binary(const char *head, size_t length) { return std::memchr(head, 0, length) != nullptr; }

/// The bytes format detection and compressed reading look at first.
constexpr size_t kHeadBytes = size_t{1} << 16;

/// The format of a document from its first bytes.
wsl_format detect(const char *bytes, size_t length) {
  size_t at = 0;
  while (at < length && std::isspace(static_cast<unsigned char>(bytes[at]))) ++at;
  if (at == length) return WSL_FORMAT_AUTO;
  size_t magic = std::strlen(kSpanRecordsMagic);
  if (length >= magic && std::memcmp(bytes, kSpanRecordsMagic, magic) == 0) return WSL_FORMAT_SPAN_RECORDS;
  if (is_binary(bytes, std::min(length, kHeadBytes))) {
    return is_framed_otlp(bytes, length) || is_otlp_protobuf_message(bytes, length) ? WSL_FORMAT_OTLP_PROTO
                                                                                    : WSL_FORMAT_AUTO;
  }
  if (bytes[at] != '{' && bytes[at] != '[') return WSL_FORMAT_CSV;
  std::string_view head(bytes + at, std::min(length - at, kHeadBytes));
  if (contains(head, "\"resourceSpans\"") || contains(head, "\"batches\"")) return WSL_FORMAT_OTLP;
  if (contains(head, "\"spanID\"") || contains(head, "\"traceID\"")) return WSL_FORMAT_JAEGER;
  if (contains(head, "\"traceId\"") && contains(head, "\"id\"")) return WSL_FORMAT_ZIPKIN;
  if (contains(head, "\"processMap\"") || contains(head, "\"operationName\"")) return WSL_FORMAT_JAEGER;
  if (contains(head, "\"data\"")) return WSL_FORMAT_JAEGER;  // the query API's reply, maybe empty
  return WSL_FORMAT_AUTO;
}

/// The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1.
int64_t first_invalid_utf8(const char *bytes, size_t length) {
  size_t at = 0;
  while (at < length) {
    auto byte = static_cast<uint8_t>(bytes[at]);
    size_t extra = byte < 0x80 ? 0 : (byte >> 5) == 0x6 ? 1 : (byte >> 4) == 0xE ? 2 : (byte >> 3) == 0x1E ? 3 : 4;
    if (extra == 4 || (extra == 1 && byte < 0xC2) || at + extra >= length + (extra == 0 ? 1 : 0)) {
      return static_cast<int64_t>(at);
    }
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<uint8_t>(bytes[at + k]) & 0xC0) != 0x80) return static_cast<int64_t>(at);
    }
    at += extra + 1;
  }
  return -1;
}

bool is_json_format(wsl_format format) {
  return format == WSL_FORMAT_JAEGER || format == WSL_FORMAT_OTLP || format == WSL_FORMAT_ZIPKIN;
}

/// Names byte offsets of the input as line:column. The input is read a piece at a time, each
/// starting at a line's start; the lines of the pieces before the current one are counted.
class Places {
 public:
  explicit Places(bool decompressed) : decompressed_(decompressed) {}

  /// Names places by byte, not line: binary data have no lines.
  void set_binary(bool binary) { binary_ = binary; }

  /// The piece now being read: `length` bytes, the input's bytes from `offset()` on.
  void set_piece(const char *bytes, size_t length) {
    piece_ = bytes;
    length_ = length;
  }

  /// The first `used` bytes of the piece are read: later offsets lie past them.
  void advance(size_t used) {
    lines_before_ += line_breaks(piece_, piece_ + used).count;
    offset_ += static_cast<int64_t>(used);
  }

  int64_t offset() const { return offset_; }
  const char *piece() const { return piece_; }
  size_t length() const { return length_; }

  /// "line:column" of an offset in the current piece; empty when unknown.
  std::string of(int64_t offset) const {
    std::string suffix = decompressed_ ? " of the decompressed data" : "";
    if (offset < 0) return "";
    if (binary_ || offset < offset_ || offset > offset_ + static_cast<int64_t>(length_)) {
      return "byte " + std::to_string(offset) + suffix;
    }
    const char *end = piece_ + (offset - offset_);
    LineBreaks breaks = line_breaks(piece_, end);
    const char *line_start = breaks.last == nullptr ? piece_ : breaks.last + 1;
    return std::to_string(lines_before_ + breaks.count + 1) + ":" + std::to_string(end - line_start + 1) + suffix;
  }

  /// Names the places of the warnings the readers left while this piece was read.
  void name_warnings(wsl_span_table &table) const {
    for (auto &warning : table.warnings) {
      if (warning.place.empty()) warning.place = of(warning.offset);
    }
  }

 private:
  struct LineBreaks {
    int64_t count = 0;
    const char *last = nullptr;  // the last one, or null
  };

  /// The line breaks in [from, to).
  static LineBreaks line_breaks(const char *from, const char *to) {
    LineBreaks breaks;
    for (const char *at = from;
         (at = static_cast<const char *>(std::memchr(at, '\n', static_cast<size_t>(to - at)))) != nullptr; ++at) {
      ++breaks.count;
      breaks.last = at;
    }
    return breaks;
  }

  bool decompressed_;
  bool binary_ = false;
  const char *piece_ = nullptr;
  size_t length_ = 0;
  int64_t offset_ = 0;
  int64_t lines_before_ = 0;
};

void read_document(wsl_span_table &table, wsl_format format, const char *bytes, size_t length, int64_t offset) {
  switch (format) {
    case WSL_FORMAT_JAEGER: read_jaeger_document(table, bytes, length, offset); break;
    case WSL_FORMAT_OTLP: read_otlp_document(table, bytes, length, offset); break;
    default: read_zipkin_document(table, bytes, length, offset); break;
  }
}

/// Reads the whole lines at the start of `bytes`, each a JSON document of `format`, and returns
/// the bytes read; with `last` every line. A last line without a line break whose JSON never
/// closes was cut short as it was written (a Collector still appending): it is skipped, counted
/// and reported, not an error.
size_t read_json_lines(wsl_span_table &table, wsl_format format, const char *bytes, size_t length, int64_t offset,
                       bool last) {
  size_t end = length;
  if (!last) {
    const void *newline = memrchr(bytes, '\n', length);
    if (newline == nullptr) return 0;
    end = static_cast<size_t>(static_cast<const char *>(newline) - bytes) + 1;
  }
  for_each_line(bytes, end, [&](const char *line, size_t line_length, int64_t line_offset) {
    if (last && line + line_length == bytes + length &&
        past_value(line, line_length, past_space(line, line_length, 0)) == std::string::npos) {
      ++table.quality.skipped_records;
      table.warnings.push_back({offset + line_offset, "the last line is cut short (still being written?): skipped", ""});
      return;
    }
    read_document(table, format, line, line_length, offset + line_offset);
  });
  return end;
}

/// The error for an input of no format whyslow reads, from its first bytes.
ParseError unknown_format(const char *bytes, size_t length) {
  return {WSL_ERROR_SCHEMA,
          is_binary(bytes, std::min(length, kHeadBytes))
              ? "binary data, not a trace file (Jaeger, OTLP or Zipkin JSON, OTLP protobuf, or a span-table CSV; "
                "gzip or zstd compressed or not)"
              : "cannot tell the trace format (Jaeger, OTLP, Zipkin or CSV); name it with --format",
          -1};
}

/// Reads a whole input held in memory; `limit` bounds what a compressed part may inflate to.
void read_whole(wsl_span_table &table, wsl_format format, const char *bytes, size_t length, const char *columns,
                size_t limit) {
  if (is_json_format(format)) {
    if (is_json_lines(bytes, length)) {
      read_json_lines(table, format, bytes, length, 0, true);
    } else if (format != WSL_FORMAT_JAEGER || !read_jaeger_reply(table, bytes, length)) {
      read_document(table, format, bytes, length, 0);
    }
    return;
  }
  if (format == WSL_FORMAT_CSV) {
    CsvReader reader(table, columns);
    reader.read(bytes, length, true);
    reader.finish();
    return;
  }
  if (format == WSL_FORMAT_OTLP_PROTO) {
    if (is_framed_otlp(bytes, length)) {
      read_framed_otlp(table, bytes, length, limit);
    } else {
      read_otlp_protobuf_message(table, bytes, length, 0);
    }
    return;
  }
  if (format == WSL_FORMAT_SPAN_RECORDS) {
    if (length < std::strlen(kSpanRecordsMagic) || std::memcmp(bytes, kSpanRecordsMagic, std::strlen(kSpanRecordsMagic)) != 0) {
      throw ParseError{WSL_ERROR_SCHEMA, "not span records (they start with \"whyslow span records 1\")", 0};
    }
    read_span_records(table, bytes, length);
    return;
  }
  throw unknown_format(bytes, length);
}

/// Decompressed bytes, held in a buffer that keeps simdjson's padding readable past them.
class Inflated {
 public:
  explicit Inflated(Decompressor &decoder) : decoder_(decoder) {}

  /// Appends up to `count` more bytes; false once the data have ended.
  bool fill(size_t count) {
    if (capacity_ < size_ + count + simdjson::SIMDJSON_PADDING) {
      size_t capacity = std::max(2 * capacity_, size_ + count + simdjson::SIMDJSON_PADDING);
      std::unique_ptr<char[]> grown(new char[capacity]);
      if (size_ > 0) std::memcpy(grown.get(), bytes_.get(), size_);
      bytes_ = std::move(grown);
      capacity_ = capacity;
    }
    size_t got = decoder_.read(bytes_.get() + size_, count);
    size_ += got;
    readable_end() = bytes_.get() + capacity_;
    return got > 0;
  }

  /// Appends the next piece: 64 KiB, doubling with each call up to 8 MiB (small inputs stay
  /// small, large ones are read in few calls).
  bool fill() {
    piece_ = std::min(2 * piece_, kLargestPiece);
    return fill(piece_);
  }

  /// Forgets the first `count` bytes.
  void drop(size_t count) {
    std::memmove(bytes_.get(), bytes_.get() + count, size_ - count);
    size_ -= count;
  }

  const char *data() const { return bytes_.get(); }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kLargestPiece = size_t{8} << 20;
  Decompressor &decoder_;
  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t piece_ = size_t{32} << 10;
};

/// Reads a gzip or zstd input as it is decompressed. The format is told from the first bytes
/// (binary data are refused there, before a bomb inflates); span-table CSV and JSON Lines are
/// read a piece at a time, so memory follows the spans read, not the decompressed size; any
/// other document is held whole, up to `limit` bytes.
wsl_format read_compressed(wsl_span_table &table, Decompressor &decoder, wsl_format format, const char *columns,
                           size_t limit, Places &places) {
  Inflated data(decoder);
  bool more = true;
  while (more && data.size() < kHeadBytes) more = data.fill(kHeadBytes - data.size());
  places.set_piece(data.data(), data.size());
  if (format == WSL_FORMAT_AUTO) format = detect(data.data(), data.size());
  if (format == WSL_FORMAT_AUTO) throw unknown_format(data.data(), data.size());
  places.set_binary(format == WSL_FORMAT_OTLP_PROTO);
  if (is_json_format(format)) {  // JSON Lines or not is told by the first line: read it whole
    auto first_line_ends = [&] {
      size_t start = past_space(data.data(), data.size(), 0);
      return std::memchr(data.data() + start, '\n', data.size() - start) != nullptr;
    };
    while (more && !first_line_ends() && data.size() <= limit) more = data.fill();
  }
  bool pieces = format == WSL_FORMAT_CSV || (is_json_format(format) && is_json_lines(data.data(), data.size()));
  auto too_large = [&] {
    return ParseError{WSL_ERROR_LIMIT,
                      std::string(decoder.name()) + " data inflate to more than " + std::to_string(limit) +
                          (pieces ? " bytes in one record" : " bytes") + " (--max-input-bytes raises the limit)",
                      -1};
  };
  if (!pieces) {
    while (more) {
      if (data.size() > limit) throw too_large();
      more = data.fill();
    }
    if (data.size() > limit) throw too_large();
    places.set_piece(data.data(), data.size());
    read_whole(table, format, data.data(), data.size(), columns, limit);
    places.name_warnings(table);
    return format;
  }
  std::unique_ptr<CsvReader> csv;
  if (format == WSL_FORMAT_CSV) csv = std::make_unique<CsvReader>(table, columns);
  for (;;) {
    if (more) more = data.fill();
    places.set_piece(data.data(), data.size());
    size_t used = csv ? csv->read(data.data(), data.size(), !more)
                      : read_json_lines(table, format, data.data(), data.size(), places.offset(), !more);
    places.name_warnings(table);
    if (!more) break;
    places.advance(used);
    data.drop(used);
    if (data.size() > limit) throw too_large();
  }
  if (csv) csv->finish();
  return format;
}

}  // namespace
}  // namespace whyslow

extern "C" wsl_status wsl_parse(wsl_span_table *table, const char *bytes, size_t length, size_t capacity,
                                wsl_format format, const char *csv_columns, size_t max_inflated_bytes,
                                wsl_format *detected) {
  using namespace whyslow;
  struct Reset {
    ~Reset() {
      readable_end() = nullptr;
      // A parser grown for a big document keeps that memory for its thread's life: let it go.
      if (thread_parser().capacity() > (size_t{64} << 20)) thread_parser() = simdjson::ondemand::parser();
    }
  } reset;
  readable_end() = bytes + std::max(capacity, length);
  std::unique_ptr<Decompressor> decoder;
  Places places(false);
  places.set_piece(bytes, length);
  try {
    decoder = Decompressor::open(bytes, length);
    if (decoder != nullptr) {
      places = Places(true);
      format = read_compressed(*table, *decoder, format, csv_columns, max_inflated_bytes, places);
    } else {
      if (format == WSL_FORMAT_AUTO) format = detect(bytes, length);
      places.set_binary(format == WSL_FORMAT_OTLP_PROTO);
      read_whole(*table, format, bytes, length, csv_columns, max_inflated_bytes);
      places.name_warnings(*table);
    }
    if (detected != nullptr) *detected = format;
    int64_t rejected = table->quality.skipped_records + table->quality.spans_without_timing -
                       static_cast<int64_t>(table->warnings.size());
    if (table->span_count() == 0 && rejected > 0) {
      throw ParseError{WSL_ERROR_SCHEMA,
                       "none of its " + std::to_string(rejected) + " spans could be read (" +
                           std::to_string(table->quality.skipped_records - static_cast<int64_t>(table->warnings.size())) +
                           " without a trace or span id, " + std::to_string(table->quality.spans_without_timing) +
                           " without a start time and a duration)",
                       -1};
    }
    return WSL_OK;
  } catch (const ParseError &error) {
    table->fail(error);
    table->error_place = places.of(error.offset);
    return error.status;
  } catch (const simdjson::simdjson_error &error) {
    int64_t offset = error.error() == simdjson::UTF8_ERROR ? first_invalid_utf8(places.piece(), places.length()) : -1;
    table->fail({WSL_ERROR_JSON, std::string("JSON error: ") + error.what(), offset});
    table->error_place = places.of(offset < 0 ? -1 : places.offset() + offset);
    return WSL_ERROR_JSON;
  } catch (const std::bad_alloc &) {
    table->fail({WSL_ERROR_MEMORY, "out of memory", -1});
    return WSL_ERROR_MEMORY;
  }
}
