// The single parsing entry point: gzip, format detection, dispatch to the readers, and the
// helpers the readers share (ids, span kinds, the per-thread simdjson parser).

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

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

/// The format of a document from its first bytes.
wsl_format detect(const char *bytes, size_t length) {
  size_t at = 0;
  while (at < length && std::isspace(static_cast<unsigned char>(bytes[at]))) ++at;
  if (at == length) return WSL_FORMAT_AUTO;
  size_t magic = std::strlen(kSpanRecordsMagic);
  if (length >= magic && std::memcmp(bytes, kSpanRecordsMagic, magic) == 0) return WSL_FORMAT_SPAN_RECORDS;
  if (bytes[at] != '{' && bytes[at] != '[') return WSL_FORMAT_CSV;
  std::string_view head(bytes + at, std::min<size_t>(length - at, 1 << 16));
  if (contains(head, "\"resourceSpans\"")) return WSL_FORMAT_OTLP;
  if (contains(head, "\"spanID\"") || contains(head, "\"traceID\"")) return WSL_FORMAT_JAEGER;
  if (contains(head, "\"traceId\"") && contains(head, "\"id\"")) return WSL_FORMAT_ZIPKIN;
  if (contains(head, "\"processMap\"") || contains(head, "\"operationName\"")) return WSL_FORMAT_JAEGER;
  if (contains(head, "\"data\"")) return WSL_FORMAT_JAEGER;  // the query API's reply, maybe empty
  return WSL_FORMAT_AUTO;
}

/// Inflates gzip data; throws ParseError when it is corrupt (naming the compressed byte) or
/// inflates to more than `limit` bytes.
std::string gunzip(const char *bytes, size_t length, size_t limit) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw std::bad_alloc();
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes));
  stream.avail_in = static_cast<uInt>(length);
  std::string out;
  char chunk[1 << 16];
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef *>(chunk);
    stream.avail_out = sizeof(chunk);
    int status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      std::string message = "corrupt or truncated gzip data at byte " + std::to_string(stream.total_in) +
                            " of the compressed file";
      inflateEnd(&stream);
      throw ParseError{WSL_ERROR_JSON, message, -1};
    }
    if (out.size() + (sizeof(chunk) - stream.avail_out) > limit) {
      inflateEnd(&stream);
      throw ParseError{WSL_ERROR_LIMIT,
                       "gzip data inflates to more than " + std::to_string(limit) +
                           " bytes (--max-input-bytes raises the limit)",
                       -1};
    }
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      inflateReset(&stream);  // another gzip member follows
    }
  }
  inflateEnd(&stream);
  return out;
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
  try {
    std::string inflated;
    if (length >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f && static_cast<uint8_t>(bytes[1]) == 0x8b) {
      inflated = gunzip(bytes, length, max_inflated_bytes);
      inflated.reserve(inflated.size() + simdjson::SIMDJSON_PADDING);
      bytes = inflated.data();
      length = inflated.size();
      readable_end() = bytes + inflated.capacity();
    }
    if (format == WSL_FORMAT_AUTO) format = detect(bytes, length);
    if (detected != nullptr) *detected = format;
    switch (format) {
      case WSL_FORMAT_JAEGER: read_jaeger(*table, bytes, length); break;
      case WSL_FORMAT_OTLP: read_otlp(*table, bytes, length); break;
      case WSL_FORMAT_ZIPKIN: read_zipkin(*table, bytes, length); break;
      case WSL_FORMAT_CSV: read_csv(*table, bytes, length, csv_columns); break;
      case WSL_FORMAT_SPAN_RECORDS:
        if (length < std::strlen(kSpanRecordsMagic) || std::memcmp(bytes, kSpanRecordsMagic, std::strlen(kSpanRecordsMagic)) != 0) {
          throw ParseError{WSL_ERROR_SCHEMA, "not span records (they start with \"whyslow span records 1\")", 0};
        }
        read_span_records(*table, bytes, length);
        break;
      default:
        throw ParseError{WSL_ERROR_SCHEMA,
                         "cannot tell the trace format (Jaeger, OTLP, Zipkin or CSV); name it with --format",
                         -1};
    }
    return WSL_OK;
  } catch (const ParseError &error) {
    table->fail(error);
    return error.status;
  } catch (const simdjson::simdjson_error &error) {
    int64_t offset = error.error() == simdjson::UTF8_ERROR ? first_invalid_utf8(bytes, length) : -1;
    table->fail({WSL_ERROR_JSON, std::string("JSON error: ") + error.what(), offset});
    return WSL_ERROR_JSON;
  } catch (const std::bad_alloc &) {
    table->fail({WSL_ERROR_MEMORY, "out of memory", -1});
    return WSL_ERROR_MEMORY;
  }
}
