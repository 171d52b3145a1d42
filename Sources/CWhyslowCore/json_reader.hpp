// What the JSON format readers share: simdjson On-Demand helpers and error positions.
#pragma once

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <cmath>
#include <string>
#include <string_view>

#include "span_table.hpp"

namespace whyslow {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

/// The parser of this thread, reused across files so its buffers are allocated once.
simdjson::ondemand::parser &thread_parser();

/// A copy of `length` bytes with the padding simdjson needs.
simdjson::padded_string padded(const char *bytes, size_t length);

/// The end of the bytes the current wsl_parse call may read (its input's capacity), or null.
const char *&readable_end();

/// A non-negative integer of at most 18 digits written plainly at the start of `raw` (a number
/// token and what follows it), read from its digits; false for any other spelling, which
/// simdjson then reads (or refuses).
inline bool plain_integer(std::string_view raw, int64_t &out) {
  size_t digits = 0;
  int64_t value = 0;
  for (; digits < raw.size() && raw[digits] >= '0' && raw[digits] <= '9'; ++digits) {
    if (digits == 18) return false;  // longer: simdjson reads it (or says it is out of range)
    value = 10 * value + (raw[digits] - '0');
  }
  if (digits == 0 || (raw[0] == '0' && digits > 1)) return false;
  if (digits < raw.size() && !std::strchr(",}] \t\r\n", raw[digits])) return false;  // a fraction, exponent, ...
  out = value;
  return true;
}

/// Reads a JSON integer given as a number or as a decimal string, exactly (never through double).
inline int64_t exact_int64(value field) {
  int64_t plain = 0;
  if (plain_integer(field.raw_json_token(), plain)) return plain;
  if (field.type() == json_type::string) return field.get_int64_in_string();
  return field.get_int64();
}

/// Reads an unsigned 64-bit nanosecond timestamp (OTLP fixed64) given as a number or a string.
inline int64_t exact_nanos(value field) {
  uint64_t nanos = field.type() == json_type::string ? uint64_t(field.get_uint64_in_string())
                                                      : uint64_t(field.get_uint64());
  return static_cast<int64_t>(nanos);
}

/// Microseconds (Jaeger, Zipkin) to nanoseconds, refusing values whose product overflows.
inline int64_t nanos_from_micros(int64_t micros, const char *field, int64_t offset) {
  int64_t nanos = 0;
  if (__builtin_mul_overflow(micros, int64_t(1000), &nanos)) {
    throw ParseError{WSL_ERROR_SCHEMA, std::string("\"") + field + "\" is out of range", offset};
  }
  return nanos;
}

/// A field's key: as written in the input when it has no escape (no copy, the common case),
/// else unescaped into the parser's string buffer.
template <typename Field>
std::string_view key_of(Field &field) {
  simdjson::ondemand::raw_json_string raw = field.key();
  const char *start = raw.raw();
  const char *end = start;
  while (*end != '"' && *end != '\\') ++end;  // the closing quote is always there
  if (*end == '"') return std::string_view(start, static_cast<size_t>(end - start));
  return field.unescaped_key();
}

/// The field names a reader knows for one kind of JSON object, matched against a field's key
/// as written: one byte compared per name and, for the candidate, its bytes and the closing
/// quote (no scan for the key's end). A key written with escapes is unescaped and matched
/// again. `Name` is an enum whose values index `names` in order.
template <typename Name, size_t N>
class FieldNames {
 public:
  constexpr explicit FieldNames(const std::array<std::string_view, N> &names) : names_(names) {}

  /// The name of the field's key, or Name(N) when it is none of them.
  template <typename Field>
  Name of(Field &field) const {
    const char *raw = field.key().raw();
    for (size_t i = 0; i < N; ++i) {  // the document's padding makes the bytes past a short key readable
      std::string_view name = names_[i];
      if (raw[0] == name[0] && std::memcmp(raw, name.data(), name.size()) == 0 && raw[name.size()] == '"') {
        return static_cast<Name>(i);
      }
    }
    return of(key_of(field));
  }

  /// The name `key` (unescaped) is, or Name(N).
  Name of(std::string_view key) const {
    for (size_t i = 0; i < N; ++i) {
      if (key == names_[i]) return static_cast<Name>(i);
    }
    return static_cast<Name>(N);
  }

 private:
  std::array<std::string_view, N> names_;
};

/// The first '"' or '\\' in [at, end), or `end`; reads up to 15 bytes past `end`, which the
/// document's padding keeps readable.
inline const char *quote_or_backslash(const char *at, const char *end) {
#if defined(__SSE2__)
  for (; at < end; at += 16) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
    auto found = static_cast<uint32_t>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')))));
    if (found != 0) return std::min(at + __builtin_ctz(found), end);
  }
  return end;
#else
  while (at < end && *at != '"' && *at != '\\') ++at;
  return at;
#endif
}

/// A string field: viewed in the input when it is written without escapes (no copy), else
/// unescaped into the parser's string buffer; either way valid for the whole document.
inline std::string_view text(value field) {
  std::string_view raw = field.raw_json_token();  // the string with its quotes, and any space after it
  if (!raw.empty() && raw[0] == '"') {
    const char *end = raw.data() + raw.size();
    const char *close = quote_or_backslash(raw.data() + 1, end);
    if (close != end && *close == '"') return std::string_view(raw.data() + 1, static_cast<size_t>(close - raw.data() - 1));
  }
  return field.get_string();  // escaped, or not a string (the error says so)
}

/// A number written as text, parsed exactly as written; NaN when it is not a number.
inline double number_of(std::string_view text) {
  double number = NAN;
  std::from_chars(text.data(), text.data() + text.size(), number);
  return number;
}

/// Byte offset of `location` from `base`, or -1.
inline int64_t offset_of(const char *base, const char *location) {
  return location == nullptr ? -1 : static_cast<int64_t>(location - base);
}

/// A number attribute from `raw`, which starts with the number: the token as written (an int64
/// stays exact as text), its value parsed from that text, int or double by its spelling.
inline void number_attribute(std::string_view raw, Attribute &attribute) {
  size_t length = 0;
  bool integral = true;
  for (; length < raw.size(); ++length) {
    char c = raw[length];
    if (c == '.' || c == 'e' || c == 'E') integral = false;
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ']' || c == '}') break;
  }
  attribute.text = raw.substr(0, length);
  attribute.number = number_of(attribute.text);
  attribute.type = integral ? WSL_ATTRIBUTE_INT : WSL_ATTRIBUTE_DOUBLE;
}

/// Reads any JSON value as an attribute (arrays and objects keep their raw JSON text).
inline Attribute scalar_attribute(std::string_view key, value content) {
  Attribute attribute{key, "", NAN, WSL_ATTRIBUTE_STRING};
  switch (content.type()) {
    case json_type::string:
      attribute.text = content.get_string();
      break;
    case json_type::boolean:
      attribute.type = WSL_ATTRIBUTE_BOOL;
      attribute.text = bool(content.get_bool()) ? "true" : "false";
      break;
    case json_type::number:
      number_attribute(content.raw_json_token(), attribute);  // the number and the space after it
      break;
    case json_type::null:
      attribute.text = "null";
      break;
    case json_type::array:
      attribute.text = simdjson::ondemand::array(content.get_array()).raw_json();
      break;
    case json_type::object:
      attribute.text = simdjson::ondemand::object(content.get_object()).raw_json();
      break;
  }
  return attribute;
}

/// Appends a span event (an OTLP event, a Zipkin annotation) read from `entry`: its name from
/// the field `name_field`, its time from `time_field` by `nanos(value)`; untimed or unnamed
/// events are skipped.
template <typename Nanos>
void read_event(value entry, std::string_view name_field, std::string_view time_field, Nanos nanos,
                std::vector<Attribute> &out) {
  Attribute event{"", "", NAN, WSL_ATTRIBUTE_EVENT};
  bool timed = false;
  for (auto part : entry.get_object()) {
    std::string_view part_name = key_of(part);
    if (part_name == name_field) event.key = text(part.value());
    if (part_name == time_field) {
      event.time_nanos = nanos(part.value());
      timed = true;
    }
  }
  if (timed && !event.key.empty()) out.push_back(event);
}

/// The index just past the JSON value starting at `at` (a SIMD scan that skips strings and
/// counts nesting), or npos when it is cut short.
size_t past_value(const char *bytes, size_t length, size_t at);
/// The index of the first byte at or after `at` that is not white space.
size_t past_space(const char *bytes, size_t length, size_t at);

/// True when the first non-empty line is a whole JSON object and more content follows: JSON
/// Lines (the OpenTelemetry Collector's file exporter, `jq -c '.data[]'` of a Jaeger reply).
bool is_json_lines(const char *bytes, size_t length);

/// Calls `read_line(line, length, offset)` for every non-blank line of `bytes`.
template <typename ReadLine>
void for_each_line(const char *bytes, size_t length, ReadLine read_line) {
  const char *end = bytes + length;
  for (const char *line = bytes; line < end;) {
    const char *newline = static_cast<const char *>(std::memchr(line, '\n', static_cast<size_t>(end - line)));
    const char *line_end = newline == nullptr ? end : newline;
    bool blank = true;
    for (const char *c = line; c < line_end && blank; ++c) blank = *c == ' ' || *c == '\t' || *c == '\r';
    if (!blank) read_line(line, static_cast<size_t>(line_end - line), static_cast<int64_t>(line - bytes));
    line = line_end + 1;
  }
}

/// Runs `read` over one JSON document held in `bytes`; turns simdjson errors into a ParseError
/// at the position the parser had reached.
template <typename Read>
void with_document(const char *bytes, size_t length, int64_t base_offset, Read read) {
  // In place when the caller's buffer has simdjson's padding readable past this document.
  simdjson::padded_string copy;
  simdjson::padded_string_view json;
  if (readable_end() != nullptr && bytes + length + simdjson::SIMDJSON_PADDING <= readable_end()) {
    json = simdjson::padded_string_view(bytes, length, length + simdjson::SIMDJSON_PADDING);
  } else {
    copy = padded(bytes, length);
    json = copy;
  }
  simdjson::ondemand::document document = thread_parser().iterate(json);
  try {
    read(document, json.data());
    // Another document after this one is never dropped in silence.
    size_t end = past_value(json.data(), length, past_space(json.data(), length, 0));
    if (end != std::string::npos && past_space(json.data(), length, end) < length) {
      throw ParseError{WSL_ERROR_JSON,
                       "content after the end of the JSON document: give one document per file, or JSON Lines "
                       "(one document per line)",
                       base_offset + static_cast<int64_t>(past_space(json.data(), length, end))};
    }
  } catch (const simdjson::simdjson_error &error) {
    auto location = document.current_location();
    int64_t offset = location.error() ? -1 : offset_of(json.data(), location.value_unsafe());
    throw ParseError{WSL_ERROR_JSON, std::string("JSON error: ") + error.what(),
                     offset < 0 ? -1 : base_offset + offset};
  }
}

}  // namespace whyslow
