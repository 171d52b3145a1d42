// Zipkin v2 JSON -> span table rows: an array of spans, an array of arrays of spans, or one span.
// Client and server halves sharing one span id are split apart by the linker.

#include <string>
#include <string_view>
#include <vector>

#include "json_reader.hpp"

namespace whyslow {
namespace {

/// The fields of a Zipkin v2 span the reader uses.
enum class SpanField {
  kTraceID, kID, kParentID, kName, kKind, kTimestamp, kDuration, kLocalEndpoint, kRemoteEndpoint, kAnnotations, kTags,
  kOther
};
constexpr FieldNames<SpanField, 11> kSpanFields({"traceId", "id", "parentId", "name", "kind", "timestamp", "duration",
                                                  "localEndpoint", "remoteEndpoint", "annotations", "tags"});

class ZipkinReader {
 public:
  /// Reads a document that starts at `base`, byte `base_offset` of the input.
  ZipkinReader(wsl_span_table &table, const char *base, int64_t base_offset)
      : table_(table), base_(base), base_offset_(base_offset) {}

  void read_document(simdjson::ondemand::document &document) {
    if (document.type() == json_type::object) {  // one span on its own
      read_span(document.get_value());
      return;
    }
    if (document.type() != json_type::array) throw shape_error(document.current_location());
    for (auto item : document.get_array()) {
      value element = item.value();
      if (element.type() == json_type::array) {
        for (auto span : element.get_array()) read_span(span.value());
      } else if (element.type() == json_type::object) {
        read_span(element);
      } else {
        throw shape_error(element.current_location());
      }
    }
  }

 private:
  ParseError shape_error(const char *location) const {
    return {WSL_ERROR_SCHEMA, "not a Zipkin v2 JSON document: expected an array of spans or a span",
            offset_at(location)};
  }

  void read_span(value span) {
    if (span.type() != json_type::object) throw shape_error(span.current_location());
    Row row;
    attributes_.clear();
    bool has_timestamp = false, has_duration = false;
    const int64_t offset = offset_at(span.current_location());
    for (auto field : span.get_object()) {
      value content = field.value();
      switch (kSpanFields.of(field)) {
        case SpanField::kTraceID: row.set_encoded_trace_id(content.get_string()); break;
        case SpanField::kID: row.span = table_.span_key(content.get_string()); break;
        case SpanField::kParentID: row.parent = table_.span_key(content.get_string()); break;
        case SpanField::kName: row.operation = text(content); break;
        case SpanField::kKind: row.span_kind = span_kind_from_name(std::string_view(content.get_string())); break;
        case SpanField::kTimestamp:
          row.start_nanos = nanos_from_micros(exact_int64(content), "timestamp", offset);
          has_timestamp = true;
          break;
        case SpanField::kDuration:
          row.duration_nanos = nanos_from_micros(exact_int64(content), "duration", offset);
          has_duration = true;
          break;
        case SpanField::kLocalEndpoint: row.service = endpoint_service(content); break;
        case SpanField::kRemoteEndpoint: {
          std::string_view peer = endpoint_service(content);
          if (!peer.empty()) attributes_.push_back({"peer.service", peer, NAN, WSL_ATTRIBUTE_STRING});
          break;
        }
        case SpanField::kAnnotations:
          for (auto annotation : content.get_array()) {
            read_event(annotation.value(), "value", "timestamp",
                       [&](value time) { return nanos_from_micros(exact_int64(time), "timestamp", offset); }, attributes_);
          }
          break;
        case SpanField::kTags:
          for (auto tag : content.get_object()) {
            std::string_view tag_key = key_of(tag);  // tag names are data, not fields
            if (tag_key == "error") row.error = 1;
            attributes_.push_back(scalar_attribute(tag_key, tag.value()));
          }
          break;
        case SpanField::kOther: break;
      }
    }
    if (row.trace().empty() || !row.span.present()) {
      ++table_.quality.skipped_records;
      return;
    }
    if (!has_timestamp || !has_duration || row.duration_nanos < 0) {
      ++table_.quality.spans_without_timing;
      return;
    }
    if (row.parent.present()) row.edge_kind = WSL_EDGE_CHILD_OF;
    table_.append(row, attributes_.data(), attributes_.size());
  }

  static std::string_view endpoint_service(value endpoint) {
    std::string_view service;
    for (auto field : endpoint.get_object()) {
      std::string_view key = key_of(field);
      if (key == "serviceName") service = text(field.value());
    }
    return service;
  }

  /// The input offset of a place in the document, or -1.
  int64_t offset_at(const char *location) const {
    return location == nullptr ? -1 : base_offset_ + static_cast<int64_t>(location - base_);
  }

  wsl_span_table &table_;
  const char *base_;
  int64_t base_offset_;
  std::vector<Attribute> attributes_;  // the current span's
};

}  // namespace

void read_zipkin_document(wsl_span_table &table, const char *bytes, size_t length, int64_t offset) {
  with_document(bytes, length, offset, [&](simdjson::ondemand::document &document, const char *base) {
    ZipkinReader(table, base, offset).read_document(document);
  });
}

}  // namespace whyslow
