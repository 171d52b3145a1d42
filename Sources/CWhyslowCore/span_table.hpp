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
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, int32_t> index_;
};

/// Sentinel for "no string" in id columns.
constexpr int32_t kNone = -1;

/// One typed attribute of a span while it is being read.
struct Attribute {
  std::string key;
  std::string text;  // the value as text (numbers and bools too)
  double number;     // the value as a number, NaN when not numeric
  int8_t type;       // wsl_attribute_type
};

/// One span as a parser hands it over; ids are raw strings, normalized by the parser.
struct Row {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // empty: none
  std::string service;
  std::string operation;
  int64_t start_nanos = 0;
  int64_t duration_nanos = 0;
  int8_t edge_kind = WSL_EDGE_NONE;  // meaningful when parent_span_id is set
  int8_t span_kind = WSL_KIND_UNSPECIFIED;
  int8_t error = 0;
  std::vector<Attribute> attributes;

  void clear() { *this = Row(); }
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
  whyslow::Interner span_ids;  // span ids, kept apart so they never reach Swift
  std::unordered_map<int32_t, int32_t> trace_by_id;  // trace id string -> trace index
  std::vector<int32_t> trace_ids;                    // trace index -> trace id string

  // Span columns.
  std::vector<int32_t> trace_index;
  std::vector<int32_t> span_id;
  std::vector<int32_t> parent_span_id;  // span_ids id or kNone
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

  wsl_quality quality{};
  std::vector<std::string> notes;  // what the readers inferred (units, service names), once each

  std::string error_message;
  int64_t error_offset = -1;

  size_t span_count() const { return trace_index.size(); }

  int32_t trace_for(std::string_view id) {
    int32_t string_id = strings.intern(id);
    auto found = trace_by_id.find(string_id);
    if (found != trace_by_id.end()) return found->second;
    auto index = static_cast<int32_t>(trace_ids.size());
    trace_ids.push_back(string_id);
    trace_by_id.emplace(string_id, index);
    return index;
  }

  void append(const whyslow::Row &row);
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

/// Lower-case hex of a trace or span id given as hex (any case) or base64 (protobuf JSON).
std::string normalize_id(std::string_view id);

/// Span kind from a name as Jaeger, Zipkin or OTLP spell it ("server", "SPAN_KIND_CLIENT", ...).
int8_t span_kind_from_name(std::string_view name);

}  // namespace whyslow
