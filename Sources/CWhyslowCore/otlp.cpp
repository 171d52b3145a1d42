// OTLP JSON -> span table rows: {"resourceSpans":[...]}, the Jaeger API v3 wrapper
// {"result":{"resourceSpans":[...]}}, and JSON Lines as the Collector's file exporter writes
// them (one request per line; a trace may spread over many lines and files).

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "json_reader.hpp"

namespace whyslow {
namespace {

class OtlpReader {
 public:
  OtlpReader(wsl_span_table &table, const char *base, int64_t base_offset)
      : table_(table), base_(base), base_offset_(base_offset) {}

  void read_document(simdjson::ondemand::document &document) {
    if (document.type() != json_type::object) throw shape_error(document.current_location());
    bool found = false;
    for (auto field : document.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "resourceSpans") {
        read_resource_spans(field.value());
        found = true;
      } else if (key == "result") {
        for (auto inner : field.value().get_object()) {
          std::string_view inner_key = inner.unescaped_key();
          if (inner_key == "resourceSpans") {
            read_resource_spans(inner.value());
            found = true;
          }
        }
      }
    }
    if (!found) throw shape_error(nullptr);
  }

 private:
  ParseError shape_error(const char *location) const {
    return {WSL_ERROR_SCHEMA, "not an OTLP JSON document: expected {\"resourceSpans\":[...]}",
            location == nullptr ? -1 : base_offset_ + offset_of(base_, location)};
  }

  void read_resource_spans(value list) {
    for (auto item : list.get_array()) {
      std::vector<Row> rows;
      std::string service;
      std::vector<Attribute> resource_attributes;
      for (auto field : item.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "resource") {
          for (auto property : field.value().get_object()) {
            std::string_view name = property.unescaped_key();
            if (name == "attributes") read_attributes(property.value(), resource_attributes);
          }
        } else if (key == "scopeSpans" || key == "instrumentationLibrarySpans") {
          for (auto scope : field.value().get_array()) {
            for (auto scope_field : scope.get_object()) {
              std::string_view name = scope_field.unescaped_key();
              if (name != "spans") continue;
              for (auto span : scope_field.value().get_array()) read_span(span.value(), rows);
            }
          }
        }
      }
      // The resource may follow its spans: attach service and resource attributes now.
      std::vector<Attribute> shared;
      for (Attribute &attribute : resource_attributes) {
        if (attribute.key == "service.name") service = attribute.text;
        else shared.push_back(attribute);
      }
      for (Row &row : rows) {
        row.service = service;
        row.attributes.insert(row.attributes.end(), shared.begin(), shared.end());
        table_.append(row);
      }
    }
  }

  void read_span(value span, std::vector<Row> &rows) {
    Row row;
    int64_t end_nanos = 0;
    int64_t links = 0;
    for (auto field : span.get_object()) {
      std::string_view key = field.unescaped_key();
      value content = field.value();
      if (key == "traceId") row.trace_id = normalize_id(std::string_view(content.get_string()));
      else if (key == "spanId") row.span_id = normalize_id(std::string_view(content.get_string()));
      else if (key == "parentSpanId") row.parent_span_id = normalize_id(std::string_view(content.get_string()));
      else if (key == "name") row.operation = text(content);
      else if (key == "kind") row.span_kind = read_kind(content);
      else if (key == "startTimeUnixNano") row.start_nanos = exact_nanos(content);
      else if (key == "endTimeUnixNano") end_nanos = exact_nanos(content);
      else if (key == "attributes") read_attributes(content, row.attributes);
      else if (key == "status") row.error = read_status_is_error(content) ? 1 : 0;
      else if (key == "links") {
        for (auto link : content.get_array()) {
          (void)link;
          ++links;
        }
      }
    }
    if (row.trace_id.empty() || row.span_id.empty()) {
      ++table_.quality.skipped_records;
      return;
    }
    if (row.start_nanos <= 0 || end_nanos < row.start_nanos) {
      ++table_.quality.spans_without_timing;
      return;
    }
    row.duration_nanos = end_nanos - row.start_nanos;
    if (!row.parent_span_id.empty()) row.edge_kind = WSL_EDGE_CHILD_OF;
    table_.quality.async_edges += links;
    rows.push_back(std::move(row));
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
      std::string_view key = field.unescaped_key();
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
      std::string key;
      Attribute attribute{"", "", NAN, WSL_ATTRIBUTE_STRING};
      for (auto field : item.get_object()) {
        std::string_view name = field.unescaped_key();
        if (name == "key") {
          key = text(field.value());
        } else if (name == "value") {
          for (auto typed : field.value().get_object()) {
            std::string_view type = typed.unescaped_key();
            attribute = scalar_attribute("", typed.value());
            if (type == "intValue") {
              attribute.type = WSL_ATTRIBUTE_INT;  // int64 as a string: exact text, number parsed
              attribute.number = std::strtod(attribute.text.c_str(), nullptr);
            } else if (type == "doubleValue") {
              attribute.type = WSL_ATTRIBUTE_DOUBLE;
            } else if (type == "bytesValue") {
              attribute.type = WSL_ATTRIBUTE_BYTES;
            }
          }
        }
      }
      attribute.key = std::move(key);
      out.push_back(std::move(attribute));
    }
  }

  wsl_span_table &table_;
  const char *base_;
  int64_t base_offset_;
};

/// True when the first non-empty line is a whole JSON object and more content follows.
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

}  // namespace

void read_otlp(wsl_span_table &table, const char *bytes, size_t length) {
  if (!is_json_lines(bytes, length)) {
    with_document(bytes, length, 0, [&](simdjson::ondemand::document &document, const char *base) {
      OtlpReader(table, base, 0).read_document(document);
    });
    return;
  }
  const char *end = bytes + length;
  for (const char *line = bytes; line < end;) {
    const char *newline = static_cast<const char *>(std::memchr(line, '\n', static_cast<size_t>(end - line)));
    const char *line_end = newline == nullptr ? end : newline;
    bool blank = true;
    for (const char *c = line; c < line_end && blank; ++c) blank = *c == ' ' || *c == '\t' || *c == '\r';
    if (!blank) {
      int64_t line_offset = static_cast<int64_t>(line - bytes);
      with_document(line, static_cast<size_t>(line_end - line), line_offset,
                    [&](simdjson::ondemand::document &document, const char *base) {
                      OtlpReader(table, base, line_offset).read_document(document);
                    });
    }
    line = line_end + 1;
  }
}

}  // namespace whyslow
