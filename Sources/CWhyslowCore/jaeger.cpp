// Jaeger JSON -> span table rows: the UI download and query API ({"data":[trace,...]}), a bare
// trace object, an array of traces, and an array of spans with embedded processes.

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "json_reader.hpp"

namespace whyslow {
namespace {


/// A span waiting for its trace's "processes" map, which may come after "spans"; its
/// attributes are [attribute_begin, attribute_end) of the trace's attribute buffer.
struct PendingSpan {
  Row row;
  std::string_view span_id;
  std::string_view process_id;
  bool has_embedded_process = false;
  bool has_timing = false;
  int64_t offset = -1;
  size_t attribute_begin = 0;
  size_t attribute_end = 0;
};

/// The fields of a trace object the reader uses, and of a span, a reference, a tag and a log.
enum class TraceField { kTraceID, kSpans, kProcesses, kOther };
constexpr FieldNames<TraceField, 3> kTraceFields({"traceID", "spans", "processes"});
enum class SpanField {
  kTraceID, kSpanID, kOperationName, kStartTime, kDuration, kProcessID, kProcess, kParentSpanID,
  kReferences, kTags, kLogs, kFlags, kWarnings, kOther
};
constexpr FieldNames<SpanField, 13> kSpanFields({"traceID", "spanID", "operationName", "startTime", "duration",
                                                  "processID", "process", "parentSpanID", "references", "tags",
                                                  "logs", "flags", "warnings"});
enum class ReferenceField { kRefType, kTraceID, kSpanID, kOther };
constexpr FieldNames<ReferenceField, 3> kReferenceFields({"refType", "traceID", "spanID"});
enum class TagField { kKey, kType, kValue, kOther };
constexpr FieldNames<TagField, 3> kTagFields({"key", "type", "value"});

/// One entry of a span's "references".
struct Reference {
  std::string_view kind, trace_id, span_id;
};

class JaegerReader {
 public:
  /// Reads documents that lie in [base, end), with simdjson's padding readable past `end`;
  /// `base` is byte `base_offset` of the input.
  JaegerReader(wsl_span_table &table, const char *base, const char *end, int64_t base_offset = 0)
      : table_(table), base_(base), end_(end), base_offset_(base_offset) {}

  void read_document(simdjson::ondemand::document &document) {
    if (document.type() == json_type::array) {
      read_array(document.get_array());
      return;
    }
    if (document.type() != json_type::object) throw shape_error(document.current_location());
    TraceState root;
    bool saw_data = false;
    for (auto field : document.get_object()) {
      std::string_view key = key_of(field);
      value content = field.value();
      if (key == "data") {
        saw_data = true;
        if (content.type() == json_type::array) {
          for (auto trace : content.get_array()) read_trace(trace.value());
        } else {
          read_trace(content);  // the Jaeger UI's stored state: "data" is one trace
        }
      } else {
        read_trace_field(kTraceFields.of(key), content, root);
      }
    }
    if (root.saw_spans) {
      finish_trace(root);
    } else if (!saw_data) {
      throw shape_error(nullptr);
    }
  }

  /// A document that is one trace object (an element of "data", parsed on its own).
  void read_trace_document(simdjson::ondemand::document &document) {
    const char *location = document.current_location().value_unsafe();
    if (document.type() != json_type::object) throw shape_error(location);
    read_trace_object(document.get_object(), location);
  }

  /// The trace object at `start` (an element of "data") when it is written compactly, read from
  /// its bytes into the table; returns the end of its bytes, or null when it is written
  /// otherwise (or is not a valid trace): then nothing is read, for simdjson to read it.
  const char *read_compact_trace_document(const char *start) {
    wsl_quality counted = table_.quality;
    const char *at = start;
    bool compact = false;
    try {
      compact = read_compact_trace(at) && trace_.saw_spans && plain_bytes(start, at);
    } catch (const ParseError &) {  // simdjson reads the trace again and says what is wrong
    }
    if (compact) {
      finish_trace(trace_);
      return at;
    }
    table_.quality = counted;  // what the compact reading counted is counted again
    return nullptr;
  }

 private:
  struct TraceState {
    std::string_view trace_id;
    std::unordered_map<std::string_view, std::string_view> service_by_process;
    std::vector<PendingSpan> spans;
    std::vector<Attribute> attributes;
    bool saw_spans = false;

    /// Empties the state for the next trace, keeping the memory.
    void clear() {
      trace_id = {};
      service_by_process.clear();
      spans.clear();
      attributes.clear();
      saw_spans = false;
    }
  };

  ParseError shape_error(const char *location) const {
    return {WSL_ERROR_SCHEMA,
            "not a Jaeger JSON document: expected {\"data\":[trace,...]}, a trace object with "
            "\"spans\", an array of traces, or an array of spans",
            offset_at(location)};
  }

  /// An array of traces, or of spans each with an embedded "process".
  void read_array(simdjson::ondemand::array items) {
    TraceState loose;  // spans given directly, without a trace object
    for (auto item : items) {
      value element = item.value();
      const char *location = element.current_location();
      if (element.type() != json_type::object) throw shape_error(location);
      bool is_span = false;
      object fields = element.get_object();
      for (auto field : fields) {
        std::string_view key = key_of(field);
        if (key == "spanID") {
          is_span = true;
          break;
        }
        if (key == "spans") break;
      }
      fields.reset();  // read the object again from its start, now that its kind is known
      if (is_span) {
        loose.spans.push_back(read_span(fields, offset_at(location), loose.attributes));
        loose.saw_spans = true;
      } else {
        read_trace_object(fields, location);
      }
    }
    finish_trace(loose);
  }

  void read_trace(value trace) {
    const char *location = trace.current_location();
    if (trace.type() != json_type::object) throw shape_error(location);
    read_trace_object(trace.get_object(), location);
  }

  /// The fields of one trace object (at `location`), then its spans into the table.
  void read_trace_object(object fields, const char *location) {
    TraceState &state = trace_;
    state.clear();
    for (auto field : fields) read_trace_field(kTraceFields.of(field), field.value(), state);
    if (!state.saw_spans) throw shape_error(location);
    finish_trace(state);
  }

  void read_trace_field(TraceField name, value field, TraceState &state) {
    if (name == TraceField::kTraceID) {
      state.trace_id = text(field);
    } else if (name == TraceField::kSpans) {
      state.saw_spans = true;
      for (auto span : field.get_array()) {
        value content = span.value();
        int64_t offset = offset_at(content.current_location());
        state.spans.push_back(read_span(content.get_object(), offset, state.attributes));
      }
    } else if (name == TraceField::kProcesses) {
      for (auto process : field.get_object()) {
        std::string_view process_id = key_of(process);
        state.service_by_process[process_id] = read_service(process.value());
      }
    }
  }

  static std::string_view read_service(value process) {
    std::string_view service;
    for (auto property : process.get_object()) {
      std::string_view property_key = key_of(property);
      if (property_key == "serviceName") service = text(property.value());
    }
    return service;
  }

  /// What a span object's fields give, before the checks and the references complete the span.
  struct SpanFields {
    PendingSpan span;
    bool has_start = false, has_duration = false;
    std::string_view legacy_parent;
  };

  /// A span about to be read at byte `offset`, its attributes appended to `attributes`.
  SpanFields begin_span(int64_t offset, const std::vector<Attribute> &attributes) {
    SpanFields fields;
    fields.span.offset = offset;
    fields.span.attribute_begin = attributes.size();
    references_.clear();
    return fields;
  }

  PendingSpan read_span(object span_object, int64_t offset, std::vector<Attribute> &attributes) {
    SpanFields fields = begin_span(offset, attributes);
    PendingSpan &span = fields.span;
    Row &row = span.row;
    bool &has_start = fields.has_start, &has_duration = fields.has_duration;
    std::string_view &legacy_parent = fields.legacy_parent;
    for (auto field : span_object) {
      SpanField name = kSpanFields.of(field);
      value content = field.value();
      switch (name) {
        case SpanField::kTraceID: row.trace_id = text(content); break;
        case SpanField::kSpanID: span.span_id = text(content); break;
        case SpanField::kOperationName: row.operation = text(content); break;
        case SpanField::kStartTime:
          row.start_nanos = nanos_from_micros(micros(content, "startTime", span.offset), "startTime", span.offset);
          has_start = true;
          break;
        case SpanField::kDuration:
          row.duration_nanos = nanos_from_micros(micros(content, "duration", span.offset), "duration", span.offset);
          has_duration = true;
          break;
        case SpanField::kProcessID: span.process_id = text(content); break;
        case SpanField::kProcess:
          row.service = read_service(content);
          span.has_embedded_process = true;
          break;
        case SpanField::kParentSpanID: legacy_parent = text(content); break;
        case SpanField::kReferences: read_references(content); break;
        case SpanField::kTags: read_tags(content, row, attributes); break;
        case SpanField::kLogs: read_logs(content, attributes); break;
        case SpanField::kFlags: case SpanField::kWarnings: case SpanField::kOther: break;
      }
    }
    return complete_span(fields, attributes);
  }

  /// The span its fields describe, checked, with its parent chosen from its references.
  PendingSpan complete_span(SpanFields &fields, const std::vector<Attribute> &attributes) {
    PendingSpan &span = fields.span;
    Row &row = span.row;
    span.attribute_end = attributes.size();
    if (span.span_id.empty()) throw ParseError{WSL_ERROR_SCHEMA, "span without \"spanID\"", span.offset};
    row.span = table_.span_key(span.span_id);
    if (!fields.has_start || !fields.has_duration) {
      ++table_.quality.spans_without_timing;
      return span;  // left out
    }
    span.has_timing = true;
    if (row.duration_nanos < 0) {
      throw ParseError{WSL_ERROR_SCHEMA, "span " + std::string(span.span_id) + " has a negative duration",
                       span.offset};
    }
    // The parent: the first CHILD_OF reference within the trace, else the legacy parentSpanID,
    // else the first FOLLOWS_FROM reference within the trace. Other references are links.
    std::string_view child_of, follows_from;
    for (const Reference &reference : references_) {
      bool same_trace = reference.trace_id.empty() || row.trace_id.empty() ||
                        reference.trace_id == row.trace_id;
      if (!same_trace || reference.span_id.empty()) continue;
      if (reference.kind == "CHILD_OF" && child_of.empty()) child_of = reference.span_id;
      if (reference.kind == "FOLLOWS_FROM" && follows_from.empty()) follows_from = reference.span_id;
    }
    if (child_of.empty()) child_of = fields.legacy_parent;
    if (!child_of.empty()) {
      row.parent = table_.span_key(child_of);
      row.edge_kind = WSL_EDGE_CHILD_OF;
    } else if (!follows_from.empty()) {
      row.parent = table_.span_key(follows_from);
      row.edge_kind = WSL_EDGE_FOLLOWS_FROM;
    }
    size_t parent_references = row.parent.present() ? 1 : 0;
    table_.quality.async_edges +=
        static_cast<int64_t>(references_.size() - std::min(references_.size(), parent_references));
    return span;
  }

  /// A time in integer microseconds, as a number or a decimal string.
  int64_t micros(value content, const char *field, int64_t offset) {
    int64_t plain = 0;
    if (plain_integer(content.raw_json_token(), plain)) return plain;
    if (content.type() == json_type::string) {
      auto parsed = content.get_int64_in_string();
      if (parsed.error()) {
        throw ParseError{WSL_ERROR_SCHEMA,
                         std::string("\"") + field +
                             "\" is not integer microseconds (Jaeger's internal domain-model JSON "
                             "is not supported: export from the Jaeger UI or the query API)",
                         offset};
      }
      return parsed.value_unsafe();
    }
    return content.get_int64();
  }

  void read_references(value list) {
    if (list.type() == json_type::null) return;
    for (auto item : list.get_array()) {
      Reference reference;
      for (auto field : item.get_object()) {
        switch (kReferenceFields.of(field)) {
          case ReferenceField::kRefType: reference.kind = text(field.value()); break;
          case ReferenceField::kTraceID: reference.trace_id = text(field.value()); break;
          case ReferenceField::kSpanID: reference.span_id = text(field.value()); break;
          case ReferenceField::kOther: break;
        }
      }
      references_.push_back(reference);
    }
  }

  /// Logs as events: the name is the "event" field (else "message"), the time the timestamp.
  static void read_logs(value logs, std::vector<Attribute> &attributes) {
    if (logs.type() == json_type::null) return;
    for (auto log : logs.get_array()) {
      Attribute event{"", "", NAN, WSL_ATTRIBUTE_EVENT};
      std::string_view message;
      bool timed = false;
      for (auto field : log.get_object()) {
        std::string_view name = key_of(field);
        if (name == "timestamp") {
          int64_t micros = 0;
          timed = !field.value().get_int64().get(micros) && !__builtin_mul_overflow(micros, int64_t{1000}, &event.time_nanos);
        } else if (name == "fields") {
          for (auto entry : field.value().get_array()) {
            std::string_view key, text_value;
            for (auto part : entry.get_object()) {
              std::string_view part_name = key_of(part);
              if (part_name == "key") key = text(part.value());
              else if (part_name == "value" && part.value().type() == json_type::string) text_value = part.value().get_string();
            }
            if (key == "event") event.key = text_value;
            if (key == "message") message = text_value;
          }
        }
      }
      if (event.key.empty()) event.key = message;
      if (timed && !event.key.empty()) attributes.push_back(event);
    }
  }

  /// Typed tags {key, type, value} become attributes; `span.kind` and `error` are read out.
  /// Tags written as Jaeger writes them are read from the bytes, the others with simdjson.
  void read_tags(value tags, Row &row, std::vector<Attribute> &attributes) const {
    if (tags.type() == json_type::null) return;
    size_t before = attributes.size();
    int8_t span_kind = row.span_kind, error = row.error;
    const char *at = tags.raw_json_token().data();
    if (compact_tags(at, row, attributes)) return;  // simdjson skips the array
    attributes.resize(before);  // read again, from the start
    row.span_kind = span_kind;
    row.error = error;
    for (auto tag : tags.get_array()) {
      std::string_view key, type;
      Attribute attribute{"", "", NAN, WSL_ATTRIBUTE_STRING};
      bool has_value = false;
      for (auto field : tag.get_object()) {
        switch (kTagFields.of(field)) {
          case TagField::kKey: key = text(field.value()); break;
          case TagField::kType: type = text(field.value()); break;
          case TagField::kValue:
            attribute = scalar_attribute("", field.value());
            has_value = true;
            break;
          case TagField::kOther: break;
        }
      }
      if (has_value) add_tag(key, type, attribute, row, attributes);
    }
  }

  /// A "tags" array written compactly, as Jaeger writes it ([{"key":"…","type":"…","value":…},…],
  /// strings without escapes, scalar values), read from the input bytes at `at` (its '[')
  /// without simdjson's iterator; false as soon as it is written any other way. `at` steps past
  /// the array. The three fields are matched as one fixed sequence of literals rather than by
  /// `compact_object` (any order, names looked up): at a million tags a file that is a tenth of
  /// the parse (0.121 against 0.134 s per 150 MB file); another order falls back, not wrong.
  bool compact_tags(const char *&at, Row &row, std::vector<Attribute> &attributes) const {
    if (*at++ != '[') return false;
    if (*at == ']') return ++at, true;
    for (;;) {
      std::string_view key, type;
      Attribute attribute{"", "", NAN, WSL_ATTRIBUTE_STRING};
      if (!literal(at, "{\"key\":\"") || !plain_string(at, key) || !literal(at, ",\"type\":\"") ||
          !plain_string(at, type) || !literal(at, ",\"value\":") || !compact_scalar(at, attribute) || *at++ != '}') {
        return false;
      }
      add_tag(key, type, attribute, row, attributes);
      if (*at == ']') return ++at, true;
      if (*at++ != ',') return false;
    }
  }

  // Compact traces. The query API and the UI write JSON without spaces and keys without
  // escapes; a trace object written so is read straight from its bytes with the steps the
  // iterator takes, and its bytes are then checked as simdjson's first stage checks them (valid
  // UTF-8, no raw control characters) before its spans reach the table. At the first byte
  // written any other way, or a failed check, the reading gives up and simdjson reads the trace
  // from its start: the same spans, and the same errors, either way. Values the reader does not
  // use are skipped as the iterator skips them, by their brackets.

  /// The trace object at `at` into trace_; false when it is not written compactly.
  bool read_compact_trace(const char *&at) {
    TraceState &state = trace_;
    state.clear();
    return compact_object(at, [&](std::string_view key, const char *&at) {
      switch (kTraceFields.of(key)) {
        case TraceField::kTraceID: return compact_string(at, state.trace_id);
        case TraceField::kSpans:
          state.saw_spans = true;
          return compact_array(at, [&](const char *&at) {
            SpanFields fields = begin_span(offset_at(at), state.attributes);
            if (!compact_span(at, fields)) return false;
            state.spans.push_back(complete_span(fields, state.attributes));
            return true;
          });
        case TraceField::kProcesses:
          return compact_object(at, [&](std::string_view process_id, const char *&at) {
            return compact_service(at, state.service_by_process[process_id]);
          });
        case TraceField::kOther: return skip_value(at);
      }
      return false;
    });
  }

  /// The fields of the span object at `at`, as read_span reads them.
  bool compact_span(const char *&at, SpanFields &fields) {
    PendingSpan &span = fields.span;
    Row &row = span.row;
    return compact_object(at, [&](std::string_view key, const char *&at) {
      switch (kSpanFields.of(key)) {
        case SpanField::kTraceID: return compact_string(at, row.trace_id);
        case SpanField::kSpanID: return compact_string(at, span.span_id);
        case SpanField::kOperationName: return compact_string(at, row.operation);
        case SpanField::kStartTime:
          return fields.has_start = compact_micros(at, row.start_nanos, "startTime", span.offset);
        case SpanField::kDuration:
          return fields.has_duration = compact_micros(at, row.duration_nanos, "duration", span.offset);
        case SpanField::kProcessID: return compact_string(at, span.process_id);
        case SpanField::kProcess: return span.has_embedded_process = compact_service(at, row.service);
        case SpanField::kParentSpanID: return compact_string(at, fields.legacy_parent);
        case SpanField::kReferences: return compact_null(at) || compact_references(at);
        case SpanField::kTags: return compact_null(at) || compact_tags(at, row, trace_.attributes);
        case SpanField::kLogs: return compact_null(at) || literal(at, "[]");  // logs with events: the iterator
        case SpanField::kFlags: case SpanField::kWarnings: case SpanField::kOther: return skip_value(at);
      }
      return false;
    });
  }

  /// A span's references into references_, as read_references reads them.
  bool compact_references(const char *&at) {
    return compact_array(at, [&](const char *&at) {
      Reference reference;
      bool read = compact_object(at, [&](std::string_view key, const char *&at) {
        switch (kReferenceFields.of(key)) {
          case ReferenceField::kRefType: return compact_string(at, reference.kind);
          case ReferenceField::kTraceID: return compact_string(at, reference.trace_id);
          case ReferenceField::kSpanID: return compact_string(at, reference.span_id);
          case ReferenceField::kOther: return skip_value(at);
        }
        return false;
      });
      if (read) references_.push_back(reference);
      return read;
    });
  }

  /// A process object's "serviceName", as read_service reads it (empty when it has none).
  bool compact_service(const char *&at, std::string_view &service) const {
    service = {};
    return compact_object(at, [&](std::string_view key, const char *&at) {
      return key == "serviceName" ? compact_string(at, service) : skip_value(at);
    });
  }

  /// An object at `at`, each field handed to `on_field(key, at)`, which steps `at` past the
  /// value; `at` steps past the object.
  template <typename OnField>
  bool compact_object(const char *&at, OnField on_field) const {
    if (*at++ != '{') return false;
    if (*at == '}') return ++at, true;
    for (;;) {
      std::string_view key;
      if (*at++ != '"' || !plain_string(at, key) || *at++ != ':' || !on_field(key, at)) return false;
      if (*at == '}') return ++at, true;
      if (*at++ != ',') return false;
    }
  }

  /// An array at `at`, each element read by `on_element(at)`; `at` steps past the array.
  template <typename OnElement>
  bool compact_array(const char *&at, OnElement on_element) const {
    if (*at++ != '[') return false;
    if (*at == ']') return ++at, true;
    for (;;) {
      if (!on_element(at)) return false;
      if (*at == ']') return ++at, true;
      if (*at++ != ',') return false;
    }
  }

  /// A string without escapes.
  bool compact_string(const char *&at, std::string_view &out) const { return *at++ == '"' && plain_string(at, out); }

  /// `null`, stepped past; false (and `at` unmoved) for anything else.
  static bool compact_null(const char *&at) {
    if (std::memcmp(at, "null", 4) != 0 || (at[4] != ',' && at[4] != '}' && at[4] != ']')) return false;
    at += 4;
    return true;
  }

  /// Integer microseconds written as plain digits, as nanoseconds (refused when out of range).
  bool compact_micros(const char *&at, int64_t &nanos, const char *field, int64_t offset) const {
    int64_t micros = 0;
    if (!plain_integer(std::string_view(at, static_cast<size_t>(end_ - at)), micros)) return false;
    while (*at >= '0' && *at <= '9') ++at;
    nanos = nanos_from_micros(micros, field, offset);
    return true;
  }

  /// Any value, skipped as the iterator skips a value it is not asked for: a string to its
  /// closing quote, an object or array by its brackets, a number or literal to the next comma
  /// or bracket.
  bool skip_value(const char *&at) const {
    size_t length = static_cast<size_t>(end_ - base_);
    size_t end = past_value(base_, length, static_cast<size_t>(at - base_));
    if (end == std::string::npos || end == static_cast<size_t>(at - base_)) return false;
    at = base_ + end;
    return true;
  }

  /// Whether [at, end) holds no control character (below 0x20, so no raw one in a string) and is
  /// valid UTF-8: what simdjson's first stage checks of a document without spaces.
  static bool plain_bytes(const char *at, const char *end) {
    const char *start = at;
    uint32_t control = 0, high = 0;
#if defined(__SSE2__)
    for (; at + 16 <= end; at += 16) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
      control |= static_cast<uint32_t>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(bytes, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f))));
      high |= static_cast<uint32_t>(_mm_movemask_epi8(bytes));
    }
#endif
    for (; at < end; ++at) {
      auto byte = static_cast<uint8_t>(*at);
      control |= byte < 0x20;
      high |= byte >> 7;
    }
    return control == 0 && (high == 0 || simdjson::validate_utf8(start, static_cast<size_t>(end - start)));
  }

  /// Steps `at` past `text` when the input has it there (reading at most its length, which the
  /// padding keeps readable).
  template <size_t N>
  static bool literal(const char *&at, const char (&text)[N]) {
    if (std::memcmp(at, text, N - 1) != 0) return false;
    at += N - 1;
    return true;
  }

  /// The string whose opening quote is just before `at`, when it has no escape; `at` steps past
  /// its closing quote.
  bool plain_string(const char *&at, std::string_view &out) const {
    const char *close = quote_or_backslash(at, end_);
    if (close == end_ || *close != '"') return false;
    out = std::string_view(at, static_cast<size_t>(close - at));
    at = close + 1;
    return true;
  }

  /// A scalar tag value at `at`, read as scalar_attribute reads it; false for anything else (an
  /// escaped string, an object or array, a malformed atom). `at` steps past it.
  bool compact_scalar(const char *&at, Attribute &attribute) const {
    switch (*at) {
      case '"':
        ++at;
        return plain_string(at, attribute.text);
      case 't': case 'f': {
        bool truth = *at == 't';
        if (!(truth ? literal(at, "true") : literal(at, "false")) || (*at != ',' && *at != '}')) return false;
        attribute.type = WSL_ATTRIBUTE_BOOL;
        attribute.text = truth ? "true" : "false";
        return true;
      }
      case 'n':
        if (!literal(at, "null") || (*at != ',' && *at != '}')) return false;
        attribute.text = "null";
        return true;
      default: {
        if (*at != '-' && (*at < '0' || *at > '9')) return false;
        std::string_view token(at, static_cast<size_t>(end_ - at));
        number_attribute(token, attribute);
        at += attribute.text.size();
        return true;
      }
    }
  }

  /// A tag read as `attribute` (its value), typed by the tag's `type`, appended.
  static void add_tag(std::string_view key, std::string_view type, Attribute attribute, Row &row,
                      std::vector<Attribute> &attributes) {
    attribute.key = key;
    if (type == "int64" || type == "float64") {
      attribute.type = type == "int64" ? WSL_ATTRIBUTE_INT : WSL_ATTRIBUTE_DOUBLE;
      if (std::isnan(attribute.number)) attribute.number = number_of(attribute.text);  // int64 may be a string
    } else if (type == "bool") {
      attribute.type = WSL_ATTRIBUTE_BOOL;
    } else if (type == "binary") {
      attribute.type = WSL_ATTRIBUTE_BYTES;
    }
    if (key == "span.kind") row.span_kind = span_kind_from_name(attribute.text);
    if (key == "error" && attribute.text == "true") row.error = 1;
    attributes.push_back(attribute);
  }

  void finish_trace(TraceState &state) {
    for (PendingSpan &span : state.spans) {
      Row &row = span.row;
      if (!span.has_timing) continue;  // left out
      if (row.trace_id.empty()) row.trace_id = state.trace_id;
      if (row.trace_id.empty()) {
        throw ParseError{WSL_ERROR_SCHEMA, "span " + std::string(span.span_id) + " has no traceID", span.offset};
      }
      if (!span.has_embedded_process) {
        auto service = state.service_by_process.find(span.process_id);
        if (service == state.service_by_process.end()) {
          throw ParseError{WSL_ERROR_SCHEMA,
                           "span " + std::string(span.span_id) + " names processID \"" +
                               std::string(span.process_id) + "\", which the trace's \"processes\" does not define",
                           span.offset};
        }
        row.service = service->second;
      }
      table_.append(row, state.attributes.data() + span.attribute_begin, span.attribute_end - span.attribute_begin);
    }
  }

  /// The input offset of a place in the document, or -1.
  int64_t offset_at(const char *location) const {
    return location == nullptr ? -1 : base_offset_ + static_cast<int64_t>(location - base_);
  }

  wsl_span_table &table_;
  const char *base_;
  const char *end_;  // the end of the input bytes, simdjson's padding readable after it
  int64_t base_offset_;
  TraceState trace_;  // the trace object being read, reused from trace to trace
  std::vector<Reference> references_;  // the current span's, reused
};

}  // namespace

namespace {

/// The index just past the JSON string starting at `at` (its opening quote), or npos.
size_t past_string(const char *bytes, size_t length, size_t at) {
  for (++at; at < length; ++at) {
    const void *quote = std::memchr(bytes + at, '"', length - at);
    if (quote == nullptr) return std::string::npos;
    at = static_cast<size_t>(static_cast<const char *>(quote) - bytes);
    size_t backslashes = 0;
    while (backslashes < at && bytes[at - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at + 1;
  }
  return std::string::npos;
}

/// Bit masks of one 64-byte block: quotes, backslashes, openers ({ or [) and closers (} or ]).
struct BlockMasks {
  uint64_t quote = 0, backslash = 0, open = 0, close = 0;
};

BlockMasks block_masks(const char *block) {
  BlockMasks masks;
#if defined(__SSE2__)
  for (int part = 0; part < 4; ++part) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(block + 16 * part));
    __m128i folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));  // '[' | 0x20 == '{', ']' | 0x20 == '}'
    auto bits = [part](__m128i text, char c) {
      auto found = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8(c))));
      return static_cast<uint64_t>(found) << (16 * part);
    };
    masks.quote |= bits(bytes, '"');
    masks.backslash |= bits(bytes, '\\');
    masks.open |= bits(folded, '{');
    masks.close |= bits(folded, '}');
  }
#else
  for (int at = 0; at < 64; ++at) {
    uint64_t bit = uint64_t{1} << at;
    char c = block[at];
    if (c == '"') masks.quote |= bit;
    if (c == '\\') masks.backslash |= bit;
    if (c == '{' || c == '[') masks.open |= bit;
    if (c == '}' || c == ']') masks.close |= bit;
  }
#endif
  return masks;
}

/// Bit i set when an odd number of bits at or below i are set: the inside of strings, given
/// their quotes.
uint64_t prefix_xor(uint64_t bits) {
  for (int shift = 1; shift < 64; shift *= 2) bits ^= bits << shift;
  return bits;
}

/// The index just past the object or array starting at `at`, or npos when it is cut short.
/// 64 bytes at a time: quotes that no backslash escapes delimit strings (a prefix xor of their
/// mask), and brackets outside strings change the depth; a block whose closers cannot bring the
/// depth to zero is passed by counting bits. Reads up to 63 bytes past `length`, which the
/// caller guarantees are readable.
size_t past_container(const char *bytes, size_t length, size_t at) {
  uint64_t inside_carry = 0;  // all ones when the previous block ended inside a string
  bool escape_carry = false;  // the previous block ended in an unpaired backslash
  int64_t depth = 0;
  for (size_t block = at; block < length; block += 64) {
    BlockMasks masks = block_masks(bytes + block);
    size_t valid = std::min<size_t>(64, length - block);
    uint64_t valid_mask = valid == 64 ? ~uint64_t{0} : (uint64_t{1} << valid) - 1;
    uint64_t escaped = 0;
    if ((masks.backslash & valid_mask) != 0 || escape_carry) {  // rare: walk from the first backslash
      bool pending = escape_carry;
      size_t first = pending ? 0 : static_cast<size_t>(__builtin_ctzll(masks.backslash));
      for (size_t i = first; i < valid; ++i) {
        if (pending) {
          escaped |= uint64_t{1} << i;
          pending = false;
        } else if (bytes[block + i] == '\\') {
          pending = true;
        }
      }
      escape_carry = pending;
    }
    uint64_t inside = prefix_xor(masks.quote & ~escaped & valid_mask) ^ inside_carry;
    inside_carry = (inside >> 63) != 0 ? ~uint64_t{0} : 0;
    uint64_t opens = masks.open & ~inside & valid_mask;
    uint64_t closes = masks.close & ~inside & valid_mask;
    int64_t closers = __builtin_popcountll(closes);
    if (depth > closers) {
      depth += __builtin_popcountll(opens) - closers;
      continue;
    }
    for (uint64_t brackets = opens | closes; brackets != 0; brackets &= brackets - 1) {
      int i = __builtin_ctzll(brackets);
      depth += (opens >> i & 1) != 0 ? 1 : -1;
      if (depth == 0) return block + static_cast<size_t>(i) + 1;
    }
  }
  return std::string::npos;
}

}  // namespace

/// The index just past the JSON value starting at `at`, or npos when it is cut short.
size_t past_value(const char *bytes, size_t length, size_t at) {
  if (at >= length) return std::string::npos;
  if (bytes[at] == '"') return past_string(bytes, length, at);
  if (bytes[at] == '{' || bytes[at] == '[') return past_container(bytes, length, at);
  while (at < length && !std::strchr(",]} \t\r\n", bytes[at])) ++at;
  return at;
}

size_t past_space(const char *bytes, size_t length, size_t at) {
  while (at < length && std::isspace(static_cast<unsigned char>(bytes[at]))) ++at;
  return at;
}

namespace {

/// Hands `read_trace` the offset of each trace of a {"data":[trace,...]} document (the query API's
/// and the UI's download) as a scan that skips strings and counts nesting finds it; it reads the
/// trace and returns the offset just past it (npos when the trace is cut short). False when the
/// document turns out to have another shape or other top-level keys than the reply's, and is to
/// be read whole.
template <typename ReadTrace>
bool for_each_data_element(const char *bytes, size_t length, ReadTrace read_trace) {
  size_t at = past_space(bytes, length, 0);
  if (at >= length || bytes[at] != '{') return false;
  bool saw_data = false;
  at = past_space(bytes, length, at + 1);
  while (at < length && bytes[at] != '}') {
    if (bytes[at] != '"') return false;
    size_t key_end = past_string(bytes, length, at);
    if (key_end == std::string::npos) return false;
    std::string_view key(bytes + at + 1, key_end - at - 2);
    at = past_space(bytes, length, key_end);
    if (at >= length || bytes[at] != ':') return false;
    at = past_space(bytes, length, at + 1);
    if (key == "data") {
      if (at >= length || bytes[at] != '[') return false;  // the UI's stored state: one trace
      saw_data = true;
      at = past_space(bytes, length, at + 1);
      while (at < length && bytes[at] != ']') {
        if (bytes[at] != '{') return false;  // not a trace: the whole-document reader says why
        size_t end = read_trace(at);
        if (end == std::string::npos) return false;
        at = past_space(bytes, length, end);
        if (at < length && bytes[at] == ',') {
          at = past_space(bytes, length, at + 1);
        } else if (at < length && bytes[at] != ']') {
          return false;
        }
      }
      if (at >= length) return false;
      ++at;
    } else if (key == "total" || key == "limit" || key == "offset" || key == "errors") {
      at = past_value(bytes, length, at);
      if (at == std::string::npos) return false;
    } else {
      return false;
    }
    at = past_space(bytes, length, at);
    if (at < length && bytes[at] == ',') {
      at = past_space(bytes, length, at + 1);
    } else if (at < length && bytes[at] != '}') {
      return false;
    }
  }
  // Anything after the reply is another document: the whole-document reader refuses it.
  return saw_data && at < length && past_space(bytes, length, at + 1) == length;
}

}  // namespace

bool read_jaeger_reply(wsl_span_table &table, const char *bytes, size_t length) {
  if (readable_end() == nullptr || bytes + length + simdjson::SIMDJSON_PADDING > readable_end() || !table.empty()) {
    return false;
  }
  // Real replies run 400 to 700 bytes per span with 4 to 8 tags: room for a little more.
  table.reserve(length / 320, length / 64);
  JaegerReader reader(table, bytes, bytes + length);
  bool reply = for_each_data_element(bytes, length, [&](size_t start) {
    if (const char *end = reader.read_compact_trace_document(bytes + start)) return static_cast<size_t>(end - bytes);
    size_t end = past_value(bytes, length, start);  // written otherwise: found, then read by simdjson
    if (end != std::string::npos) {
      with_document(bytes + start, end - start, static_cast<int64_t>(start),
                    [&](simdjson::ondemand::document &document, const char *) { reader.read_trace_document(document); });
    }
    return end;
  });
  if (!reply) table.clear();  // another shape after all
  return reply;
}

void read_jaeger_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset) {
  with_document(bytes, length, offset, [&](simdjson::ondemand::document &document, const char *base) {
    JaegerReader(table, base, base + length, offset).read_document(document);
  });
}

}  // namespace whyslow
