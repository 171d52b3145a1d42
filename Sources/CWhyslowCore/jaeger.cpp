// Jaeger JSON (UI download and query API) -> span table rows, with simdjson On-Demand.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "span_table.hpp"

namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

constexpr int64_t kNanosPerMicro = 1000;

/// A schema problem found while walking the document, with the byte offset it was found at.
struct SchemaError {
  std::string message;
  int64_t offset;
};

/// Reads a JSON integer given as a number or as a decimal string, exactly (never through double).
int64_t exact_int64(value field) {
  if (field.type() == json_type::string) return field.get_int64_in_string();
  return field.get_int64();
}

/// Parses one Jaeger document into a table; rows of a trace are committed when the trace ends.
class JaegerReader {
 public:
  JaegerReader(wsl_span_table &table, const char *base) : table_(table), base_(base) {}

  void read_document(simdjson::ondemand::document &document) {
    if (document.type() == json_type::array) {
      for (auto trace : document.get_array()) read_trace(trace.value());
      return;
    }
    if (document.type() != json_type::object) throw shape_error(document.current_location());
    TraceState root;
    bool saw_data = false;
    for (auto field : document.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "data") {
        saw_data = true;
        value data = field.value();
        if (data.type() != json_type::array) throw shape_error(data.current_location());
        for (auto trace : data.get_array()) read_trace(trace.value());
      } else {
        read_trace_field(key, field.value(), root);
      }
    }
    if (root.saw_spans) {
      finish_trace(root);
    } else if (!saw_data) {
      throw shape_error(nullptr);
    }
  }

 private:
  /// One entry of a span's "references".
  struct Reference {
    std::string kind, trace_id, span_id;
  };

  struct PendingSpan {
    std::string trace_id;
    std::string span_id;
    std::string parent_span_id;
    std::string process_id;
    int32_t operation = whyslow::kNone;
    int64_t start_micros = 0;
    int64_t duration_micros = 0;
    int8_t edge_kind = WSL_EDGE_NONE;
    int8_t error = 0;
    int64_t offset = -1;
  };

  /// What is known about the trace object being read; spans wait here for `processes`.
  struct TraceState {
    std::string trace_id;
    std::unordered_map<std::string, int32_t> service_by_process;
    std::vector<PendingSpan> spans;
    bool saw_spans = false;
  };

  SchemaError shape_error(const char *location) {
    return {"not a Jaeger JSON document: expected {\"data\":[trace,...]}, a trace object with "
            "\"spans\", or an array of traces",
            offset_of(location)};
  }

  int64_t offset_of(const char *location) const {
    return location == nullptr ? -1 : static_cast<int64_t>(location - base_);
  }

  void read_trace(value trace) {
    if (trace.type() != json_type::object) throw shape_error(trace.current_location());
    TraceState state;
    const char *location = trace.current_location();
    for (auto field : trace.get_object()) read_trace_field(field.unescaped_key(), field.value(), state);
    if (!state.saw_spans) throw shape_error(location);
    finish_trace(state);
  }

  void read_trace_field(std::string_view key, value field, TraceState &state) {
    if (key == "traceID") {
      state.trace_id = std::string_view(field.get_string());
    } else if (key == "spans") {
      state.saw_spans = true;
      for (auto span : field.get_array()) state.spans.push_back(read_span(span.value()));
    } else if (key == "processes") {
      for (auto process : field.get_object()) {
        std::string_view process_key = process.unescaped_key();
        std::string process_id(process_key);
        for (auto property : process.value().get_object()) {
          std::string_view property_key = property.unescaped_key();
          if (property_key == "serviceName") {
            state.service_by_process[process_id] =
                table_.strings.intern(std::string_view(property.value().get_string()));
          }
        }
      }
    }
  }

  PendingSpan read_span(value span_value) {
    PendingSpan span;
    span.offset = offset_of(span_value.current_location());
    bool has_start = false, has_duration = false;
    std::string legacy_parent;
    std::vector<Reference> references;
    for (auto field : span_value.get_object()) {
      std::string_view key = field.unescaped_key();
      value content = field.value();
      if (key == "traceID") {
        span.trace_id = std::string_view(content.get_string());
      } else if (key == "spanID") {
        span.span_id = std::string_view(content.get_string());
      } else if (key == "operationName") {
        span.operation = table_.strings.intern(std::string_view(content.get_string()));
      } else if (key == "startTime") {
        span.start_micros = exact_int64(content);
        has_start = true;
      } else if (key == "duration") {
        span.duration_micros = exact_int64(content);
        has_duration = true;
      } else if (key == "processID") {
        span.process_id = std::string_view(content.get_string());
      } else if (key == "parentSpanID") {
        legacy_parent = std::string_view(content.get_string());
      } else if (key == "references") {
        references = read_references(content);
      } else if (key == "tags") {
        span.error = has_error_tag(content) ? 1 : span.error;
      }
    }
    if (span.span_id.empty()) throw SchemaError{"span without \"spanID\"", span.offset};
    if (!has_start || !has_duration) {
      throw SchemaError{"span " + span.span_id + " lacks \"startTime\" or \"duration\"", span.offset};
    }
    if (span.duration_micros < 0) {
      throw SchemaError{"span " + span.span_id + " has a negative duration", span.offset};
    }
    // The parent: the first CHILD_OF reference within the trace, else the legacy parentSpanID,
    // else the first FOLLOWS_FROM reference within the trace.
    std::string child_of, follows_from;
    for (const Reference &reference : references) {
      bool same_trace = reference.trace_id.empty() || span.trace_id.empty() ||
                        reference.trace_id == span.trace_id;
      if (!same_trace || reference.span_id.empty()) continue;
      if (reference.kind == "CHILD_OF" && child_of.empty()) child_of = reference.span_id;
      if (reference.kind == "FOLLOWS_FROM" && follows_from.empty()) follows_from = reference.span_id;
    }
    if (child_of.empty()) child_of = legacy_parent;
    if (!child_of.empty()) {
      span.parent_span_id = child_of;
      span.edge_kind = WSL_EDGE_CHILD_OF;
    } else if (!follows_from.empty()) {
      span.parent_span_id = follows_from;
      span.edge_kind = WSL_EDGE_FOLLOWS_FROM;
    }
    return span;
  }

  static std::vector<Reference> read_references(value list) {
    std::vector<Reference> references;
    for (auto item : list.get_array()) {
      Reference reference;
      for (auto field : item.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "refType") reference.kind = std::string_view(field.value().get_string());
        else if (key == "traceID") reference.trace_id = std::string_view(field.value().get_string());
        else if (key == "spanID") reference.span_id = std::string_view(field.value().get_string());
      }
      references.push_back(std::move(reference));
    }
    return references;
  }

  /// True when the tags hold `error` = true (bool) or "true" (string).
  static bool has_error_tag(value tags) {
    bool error = false;
    for (auto tag : tags.get_array()) {
      bool is_error_key = false;
      bool is_true = false;
      for (auto field : tag.get_object()) {
        std::string_view key = field.unescaped_key();
        if (key == "key") {
          is_error_key = std::string_view(field.value().get_string()) == "error";
        } else if (key == "value") {
          value content = field.value();
          if (content.type() == json_type::boolean) is_true = content.get_bool();
          else if (content.type() == json_type::string) is_true = std::string_view(content.get_string()) == "true";
        }
      }
      error = error || (is_error_key && is_true);
    }
    return error;
  }

  void finish_trace(TraceState &state) {
    for (const PendingSpan &span : state.spans) {
      const std::string &trace_id = span.trace_id.empty() ? state.trace_id : span.trace_id;
      if (trace_id.empty()) throw SchemaError{"span " + span.span_id + " has no traceID", span.offset};
      auto service = state.service_by_process.find(span.process_id);
      if (service == state.service_by_process.end()) {
        throw SchemaError{"span " + span.span_id + " names processID \"" + span.process_id +
                              "\", which the trace's \"processes\" does not define",
                          span.offset};
      }
      if (span.operation == whyslow::kNone) {
        throw SchemaError{"span " + span.span_id + " has no \"operationName\"", span.offset};
      }
      table_.trace_index.push_back(table_.trace_for(trace_id));
      table_.span_id.push_back(table_.span_ids.intern(span.span_id));
      table_.parent_span_id.push_back(
          span.parent_span_id.empty() ? whyslow::kNone : table_.span_ids.intern(span.parent_span_id));
      table_.edge_kind.push_back(span.edge_kind);
      table_.service.push_back(service->second);
      table_.operation.push_back(span.operation);
      table_.start_nanos.push_back(span.start_micros * kNanosPerMicro);
      table_.duration_nanos.push_back(span.duration_micros * kNanosPerMicro);
      table_.error.push_back(span.error);
    }
  }

  wsl_span_table &table_;
  const char *base_;
};

}  // namespace

extern "C" wsl_status wsl_jaeger_parse(wsl_span_table *table, const char *bytes, size_t length) {
  size_t rows_before = table->span_count();
  try {
    simdjson::padded_string json(bytes, length);
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document document = parser.iterate(json);
    JaegerReader reader(*table, json.data());
    try {
      reader.read_document(document);
    } catch (const simdjson::simdjson_error &error) {
      auto location = document.current_location();
      int64_t offset = location.error() ? -1 : static_cast<int64_t>(location.value_unsafe() - json.data());
      table->truncate(rows_before);
      table->fail(std::string("JSON error: ") + error.what(), offset);
      return WSL_ERROR_JSON;
    }
    return WSL_OK;
  } catch (const SchemaError &error) {
    table->truncate(rows_before);
    table->fail(error.message, error.offset);
    return WSL_ERROR_SCHEMA;
  } catch (const simdjson::simdjson_error &error) {
    table->truncate(rows_before);
    table->fail(std::string("JSON error: ") + error.what(), -1);
    return WSL_ERROR_JSON;
  } catch (const std::bad_alloc &) {
    table->truncate(rows_before);
    table->fail("out of memory", -1);
    return WSL_ERROR_MEMORY;
  }
}
