// OTLP JSON -> span table rows: {"resourceSpans":[...]}, the Jaeger API v3 wrapper
// {"result":{"resourceSpans":[...]}}, Grafana Tempo's trace-by-id replies (v1 {"batches":[...]},
// v2 {"trace":{"resourceSpans":[...]}}); one document, or one line of JSON Lines as the
// Collector's file exporter writes them (a trace may spread over many lines and files).

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "json_reader.hpp"

namespace whyslow {
namespace {

/// The fields of a span, of an attribute and of an attribute's typed value the reader uses.
enum class SpanField {
  kTraceID, kSpanID, kParentSpanID, kName, kKind, kStart, kEnd, kAttributes, kEvents, kStatus, kLinks, kOther
};
constexpr FieldNames<SpanField, 11> kSpanFields({"traceId", "spanId", "parentSpanId", "name", "kind",
                                                  "startTimeUnixNano", "endTimeUnixNano", "attributes", "events",
                                                  "status", "links"});
enum class AttributeField { kKey, kValue, kOther };
constexpr FieldNames<AttributeField, 2> kAttributeFields({"key", "value"});
enum class ValueType { kInt, kDouble, kBytes, kOther };
constexpr FieldNames<ValueType, 3> kValueTypes({"intValue", "doubleValue", "bytesValue"});

class OtlpReader {
 public:
  OtlpReader(wsl_span_table &table, const char *base, int64_t base_offset)
      : table_(table), base_(base), base_offset_(base_offset) {}

  void read_document(simdjson::ondemand::document &document) {
    if (document.type() != json_type::object) throw shape_error(document.current_location());
    if (!read_request(document.get_object())) throw shape_error(nullptr);
  }

 private:
  /// Reads the spans of an export request {"resourceSpans":[...]}, or of the wrappers other
  /// servers put around one: Jaeger API v3 {"result":{...}}, Grafana Tempo v2 {"trace":{...}};
  /// Tempo v1 names the list "batches". False when the object holds none of them.
  bool read_request(object request) {
    bool found = false;
    for (auto field : request) {
      std::string_view key = key_of(field);
      if (key == "resourceSpans" || key == "batches") {
        read_resource_spans(field.value());
        found = true;
      } else if (key == "result" || key == "trace") {
        value inner = field.value();
        if (inner.type() == json_type::object && read_request(inner.get_object())) found = true;
      }
    }
    return found;
  }

  ParseError shape_error(const char *location) const {
    return {WSL_ERROR_SCHEMA,
            "not an OTLP JSON document: expected {\"resourceSpans\":[...]} (or Tempo's {\"batches\":[...]} "
            "or {\"trace\":{\"resourceSpans\":[...]}})",
            location == nullptr ? -1 : base_offset_ + static_cast<int64_t>(location - base_)};
  }

  /// Spans are appended as soon as their resource is known; spans that come before their
  /// resource wait for it, with their attributes in a shared buffer.
  void read_resource_spans(value list) {
    for (auto item : list.get_array()) {
      resource_.clear();
      service_ = {};
      resource_known_ = false;
      waiting_.clear();
      attributes_.clear();
      for (auto field : item.get_object()) {
        std::string_view key = key_of(field);
        if (key == "resource") {
          for (auto property : field.value().get_object()) {
            std::string_view name = key_of(property);
            if (name == "attributes") read_attributes(property.value(), resource_);
          }
          auto service = std::find_if(resource_.begin(), resource_.end(),
                                      [](const Attribute &a) { return a.key == "service.name"; });
          if (service != resource_.end()) {
            service_ = service->text;
            resource_.erase(service);
          }
          resource_known_ = true;
          for (Waiting &span : waiting_) commit(span.row, span.attribute_begin, span.attribute_end);
          waiting_.clear();
        } else if (key == "scopeSpans" || key == "instrumentationLibrarySpans") {
          for (auto scope : field.value().get_array()) {
            for (auto scope_field : scope.get_object()) {
              std::string_view name = key_of(scope_field);
              if (name != "spans") continue;
              for (auto span : scope_field.value().get_array()) read_span(span.value());
            }
          }
        }
      }
      for (Waiting &span : waiting_) commit(span.row, span.attribute_begin, span.attribute_end);
    }
  }

  void read_span(value span) {
    Row row;
    int64_t end_nanos = 0;
    int64_t links = 0;
    size_t attribute_begin = attributes_.size();
    for (auto field : span.get_object()) {
      value content = field.value();
      switch (kSpanFields.of(field)) {
        case SpanField::kTraceID: row.set_encoded_trace_id(content.get_string()); break;
        case SpanField::kSpanID: row.span = otlp_span_key(table_, content.get_string()); break;
        case SpanField::kParentSpanID: row.parent = otlp_span_key(table_, content.get_string()); break;
        case SpanField::kName: row.operation = text(content); break;
        case SpanField::kKind: row.span_kind = read_kind(content); break;
        case SpanField::kStart: row.start_nanos = exact_nanos(content); break;
        case SpanField::kEnd: end_nanos = exact_nanos(content); break;
        case SpanField::kAttributes: read_attributes(content, attributes_); break;
        case SpanField::kEvents:
          for (auto entry : content.get_array()) {
            read_event(entry.value(), "name", "timeUnixNano", [&](value time) { return exact_nanos(time); }, attributes_);
          }
          break;
        case SpanField::kStatus: row.error = read_status_is_error(content) ? 1 : 0; break;
        case SpanField::kLinks:
          for (auto link : content.get_array()) {
            (void)link;
            ++links;
          }
          break;
        case SpanField::kOther: break;
      }
    }
    size_t attribute_end = attributes_.size();
    if (row.trace().empty() || !row.span.present()) {
      ++table_.quality.skipped_records;
      return;
    }
    if (row.start_nanos <= 0 || end_nanos < row.start_nanos) {
      ++table_.quality.spans_without_timing;
      return;
    }
    row.duration_nanos = end_nanos - row.start_nanos;
    if (row.parent.present()) row.edge_kind = WSL_EDGE_CHILD_OF;
    table_.quality.async_edges += links;
    if (resource_known_) {
      commit(row, attribute_begin, attribute_end);
    } else {
      waiting_.push_back({std::move(row), attribute_begin, attribute_end});
    }
  }

  /// Appends a span with its own attributes followed by its resource's.
  void commit(Row &row, size_t attribute_begin, size_t attribute_end) {
    row.service = service_;
    scratch_.assign(attributes_.begin() + static_cast<std::ptrdiff_t>(attribute_begin),
                    attributes_.begin() + static_cast<std::ptrdiff_t>(attribute_end));
    scratch_.insert(scratch_.end(), resource_.begin(), resource_.end());
    table_.append(row, scratch_.data(), scratch_.size());
  }

  static int8_t read_kind(value content) {
    if (content.type() == json_type::string) return span_kind_from_name(std::string_view(content.get_string()));
    int64_t kind = content.get_int64();
    return kind >= WSL_KIND_UNSPECIFIED && kind <= WSL_KIND_CONSUMER ? static_cast<int8_t>(kind)
                                                                     : WSL_KIND_UNSPECIFIED;
  }

  /// status.code 2 or "STATUS_CODE_ERROR".
  static bool read_status_is_error(value status) {
    bool error = false;
    for (auto field : status.get_object()) {
      std::string_view key = key_of(field);
      if (key != "code") continue;
      value code = field.value();
      error = code.type() == json_type::string ? std::string_view(code.get_string()) == "STATUS_CODE_ERROR"
                                               : int64_t(code.get_int64()) == 2;
    }
    return error;
  }

  /// [{key, value:{stringValue|boolValue|intValue|doubleValue|bytesValue|arrayValue|kvlistValue}}]
  static void read_attributes(value list, std::vector<Attribute> &out) {
    for (auto item : list.get_array()) {
      std::string_view key;
      Attribute attribute{"", "", NAN, WSL_ATTRIBUTE_STRING};
      for (auto field : item.get_object()) {
        AttributeField name = kAttributeFields.of(field);
        if (name == AttributeField::kKey) {
          key = text(field.value());
        } else if (name == AttributeField::kValue) {
          for (auto typed : field.value().get_object()) {
            ValueType type = kValueTypes.of(typed);
            attribute = scalar_attribute("", typed.value());
            if (type == ValueType::kInt) {
              attribute.type = WSL_ATTRIBUTE_INT;  // int64 as a string: exact text, number parsed
              if (std::isnan(attribute.number)) attribute.number = number_of(attribute.text);
            } else if (type == ValueType::kDouble) {
              attribute.type = WSL_ATTRIBUTE_DOUBLE;
            } else if (type == ValueType::kBytes) {
              attribute.type = WSL_ATTRIBUTE_BYTES;
            }
          }
        }
      }
      attribute.key = key;
      out.push_back(attribute);
    }
  }

  /// A span read before its resource.
  struct Waiting {
    Row row;
    size_t attribute_begin, attribute_end;
  };

  wsl_span_table &table_;
  const char *base_;
  int64_t base_offset_;
  std::vector<Attribute> resource_;    // the current resource's attributes but service.name
  std::string_view service_;           // the current resource's service.name
  bool resource_known_ = false;
  std::vector<Waiting> waiting_;
  std::vector<Attribute> attributes_;  // the current resource's spans' attributes
  std::vector<Attribute> scratch_;
};

}  // namespace

void read_otlp_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset) {
  with_document(bytes, length, offset, [&](simdjson::ondemand::document &document, const char *base) {
    OtlpReader(table, base, offset).read_document(document);
  });
}

}  // namespace whyslow
