// Benchmark reference: simdjson On-Demand alone, touching the fields the readers extract and
// building nothing, so the benchmark can print the readers' share of simdjson's own rate.

#include <string_view>

#include "json_reader.hpp"

namespace whyslow {
namespace {

/// Touches every field a reader would convert; returns a checksum so nothing is optimized out.
uint64_t touch(value content) {
  switch (content.type()) {
    case json_type::string: return std::string_view(content.get_string()).size();
    case json_type::number: return content.raw_json_token().size();
    case json_type::boolean: return bool(content.get_bool()) ? 1 : 0;
    case json_type::array: {
      uint64_t sum = 0;
      for (auto item : content.get_array()) sum += touch(item.value());
      return sum;
    }
    case json_type::object: {
      uint64_t sum = 0;
      for (auto field : content.get_object()) sum += std::string_view(field.unescaped_key()).size() + touch(field.value());
      return sum;
    }
    default: return 0;
  }
}

int64_t count_spans(value spans, uint64_t &checksum) {
  int64_t count = 0;
  for (auto span : spans.get_array()) {
    checksum += touch(span.value());
    ++count;
  }
  return count;
}

}  // namespace
}  // namespace whyslow

extern "C" int64_t wsl_bare_simdjson_scan(const char *bytes, size_t length, wsl_format format) {
  using namespace whyslow;
  try {
    simdjson::padded_string json = padded(bytes, length);
    simdjson::ondemand::document document = thread_parser().iterate(json);
    uint64_t checksum = 0;
    int64_t spans = 0;
    for (auto field : document.get_object()) {
      std::string_view key = field.unescaped_key();
      if (format == WSL_FORMAT_JAEGER && key == "data") {
        for (auto trace : field.value().get_array()) {
          for (auto trace_field : trace.get_object()) {
            std::string_view name = trace_field.unescaped_key();
            if (name == "spans") spans += count_spans(trace_field.value(), checksum);
            else checksum += touch(trace_field.value());
          }
        }
      } else if (format == WSL_FORMAT_OTLP && key == "resourceSpans") {
        for (auto resource : field.value().get_array()) {
          for (auto resource_field : resource.get_object()) {
            std::string_view name = resource_field.unescaped_key();
            if (name != "scopeSpans") {
              checksum += touch(resource_field.value());
              continue;
            }
            for (auto scope : resource_field.value().get_array()) {
              for (auto scope_field : scope.get_object()) {
                std::string_view scope_name = scope_field.unescaped_key();
                if (scope_name == "spans") spans += count_spans(scope_field.value(), checksum);
              }
            }
          }
        }
      }
    }
    return checksum == 0xffffffffffffffffULL ? -2 : spans;
  } catch (const simdjson::simdjson_error &) {
    return -1;
  }
}
