// OTLP protobuf -> span table rows. One message (TracesData, an ExportTraceServiceRequest,
// Grafana Tempo's Trace: each holds its ResourceSpans in field 1) is decoded by protobuf-c with
// the code generated from otlp_protobuf/otlp_traces.proto. The OpenTelemetry Collector's file
// exporter frames its messages: each after its length in 4 big-endian bytes, each protobuf or
// JSON, zstd-compressed or not; a last message cut short (a file still being written) is skipped
// and reported.

#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "decompress.hpp"
#include "otlp_protobuf/otlp_traces.pb-c.h"
#include "span_table.hpp"

namespace whyslow {
namespace {

using Message = Whyslow__Otlp__TracesData;

/// Lower-case hex of id bytes.
std::string hex(const ProtobufCBinaryData &bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.len);
  for (size_t i = 0; i < bytes.len; ++i) {
    out += digits[bytes.data[i] >> 4];
    out += digits[bytes.data[i] & 15];
  }
  return out;
}

class ProtobufReader {
 public:
  explicit ProtobufReader(wsl_span_table &table) : table_(table) {}

  void read(const Message &message) {
    for (size_t r = 0; r < message.n_resource_spans; ++r) {
      const Whyslow__Otlp__ResourceSpans &resource_spans = *message.resource_spans[r];
      resource_.clear();
      resource_text_.clear();
      std::string_view service;
      if (resource_spans.resource != nullptr) {
        for (size_t a = 0; a < resource_spans.resource->n_attributes; ++a) {
          const Whyslow__Otlp__KeyValue &attribute = *resource_spans.resource->attributes[a];
          if (std::strcmp(attribute.key, "service.name") == 0 && attribute.value != nullptr &&
              attribute.value->value_case == WHYSLOW__OTLP__ANY_VALUE__VALUE_STRING_VALUE) {
            service = attribute.value->string_value;
          } else {
            resource_.push_back(attribute_of(attribute, resource_text_));
          }
        }
      }
      for (auto [scopes, count] : {std::pair{resource_spans.scope_spans, resource_spans.n_scope_spans},
                                   std::pair{resource_spans.instrumentation_library_spans,
                                             resource_spans.n_instrumentation_library_spans}}) {
        for (size_t s = 0; s < count; ++s) {
          for (size_t i = 0; i < scopes[s]->n_spans; ++i) read_span(*scopes[s]->spans[i], service);
        }
      }
    }
  }

 private:
  void read_span(const Whyslow__Otlp__Span &span, std::string_view service) {
    Row row;
    std::string trace_id = hex(span.trace_id);
    row.trace_id = trace_id;
    row.span = key_of(span.span_id);
    row.parent = key_of(span.parent_span_id);
    row.operation = span.name;
    row.service = service;
    row.span_kind = span.kind >= WSL_KIND_UNSPECIFIED && span.kind <= WSL_KIND_CONSUMER ? static_cast<int8_t>(span.kind)
                                                                                         : WSL_KIND_UNSPECIFIED;
    row.error = span.status != nullptr && span.status->code == 2 ? 1 : 0;
    if (trace_id.empty() || !row.span.present()) {
      ++table_.quality.skipped_records;
      return;
    }
    auto start = static_cast<int64_t>(span.start_time_unix_nano);
    auto end = static_cast<int64_t>(span.end_time_unix_nano);
    if (start <= 0 || end < start) {
      ++table_.quality.spans_without_timing;
      return;
    }
    row.start_nanos = start;
    row.duration_nanos = end - start;
    if (row.parent.present()) row.edge_kind = WSL_EDGE_CHILD_OF;
    table_.quality.async_edges += static_cast<int64_t>(span.n_links);
    attributes_.clear();
    text_.clear();
    for (size_t a = 0; a < span.n_attributes; ++a) attributes_.push_back(attribute_of(*span.attributes[a], text_));
    for (size_t e = 0; e < span.n_events; ++e) {
      const Whyslow__Otlp__Event &event = *span.events[e];
      if (event.name[0] == '\0' || event.time_unix_nano == 0) continue;  // untimed or unnamed
      Attribute attribute{event.name, "", NAN, WSL_ATTRIBUTE_EVENT};
      attribute.time_nanos = static_cast<int64_t>(event.time_unix_nano);
      attributes_.push_back(attribute);
    }
    attributes_.insert(attributes_.end(), resource_.begin(), resource_.end());
    table_.append(row, attributes_.data(), attributes_.size());
  }

  /// A span id: 8 bytes by value, as the JSON readers key hex ids; other lengths by their hex.
  SpanKey key_of(const ProtobufCBinaryData &id) {
    if (id.len == 8) {
      uint64_t value = 0;
      for (size_t i = 0; i < 8; ++i) value = value << 8 | id.data[i];
      return {value, 0};
    }
    return table_.span_key(hex(id));  // empty: no id
  }

  /// An attribute whose text, when not in the message, is kept in `texts` (a deque: views into
  /// its strings stay valid as it grows).
  static Attribute attribute_of(const Whyslow__Otlp__KeyValue &pair, std::deque<std::string> &texts) {
    Attribute attribute{pair.key, "", NAN, WSL_ATTRIBUTE_STRING};
    const Whyslow__Otlp__AnyValue *value = pair.value;
    if (value == nullptr) return attribute;
    auto own = [&](std::string text) -> std::string_view {
      texts.push_back(std::move(text));
      return texts.back();
    };
    switch (value->value_case) {
      case WHYSLOW__OTLP__ANY_VALUE__VALUE_STRING_VALUE:
        attribute.text = value->string_value;
        break;
      case WHYSLOW__OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
        attribute.type = WSL_ATTRIBUTE_BOOL;
        attribute.text = value->bool_value ? "true" : "false";
        break;
      case WHYSLOW__OTLP__ANY_VALUE__VALUE_INT_VALUE:
        attribute.type = WSL_ATTRIBUTE_INT;
        attribute.text = own(std::to_string(value->int_value));
        attribute.number = static_cast<double>(value->int_value);
        break;
      case WHYSLOW__OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE: {
        attribute.type = WSL_ATTRIBUTE_DOUBLE;
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%.17g", value->double_value);
        attribute.text = own(buffer);
        attribute.number = value->double_value;
        break;
      }
      case WHYSLOW__OTLP__ANY_VALUE__VALUE_BYTES_VALUE:
        attribute.type = WSL_ATTRIBUTE_BYTES;
        attribute.text = own(hex(value->bytes_value));
        break;
      default:  // arrays and lists: present, their content not compared
        attribute.text = value->value_case == WHYSLOW__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE ? "[...]" : "{...}";
        break;
    }
    return attribute;
  }

  wsl_span_table &table_;
  std::vector<Attribute> resource_;
  std::deque<std::string> resource_text_;
  std::vector<Attribute> attributes_;
  std::deque<std::string> text_;
};

/// The length of a framed message at `at`, from its 4 big-endian bytes.
uint32_t frame_length(const char *at) {
  auto byte = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(at[i])); };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

/// Whether `byte` can start a framed message: protobuf field 1 (length-delimited), a JSON
/// object, or the zstd magic.
bool starts_message(char byte) { return byte == 0x0A || byte == '{' || byte == 0x28; }

}  // namespace

void read_otlp_protobuf_message(wsl_span_table &table, const char *bytes, size_t length, int64_t offset) {
  Message *message = whyslow__otlp__traces_data__unpack(nullptr, length, reinterpret_cast<const uint8_t *>(bytes));
  if (message == nullptr) {
    throw ParseError{WSL_ERROR_JSON,
                     "not an OTLP protobuf message (TracesData, ExportTraceServiceRequest or a Tempo trace) of " +
                         std::to_string(length) + " bytes",
                     offset};
  }
  std::unique_ptr<Message, void (*)(Message *)> owned(message,
                                                      [](Message *m) { whyslow__otlp__traces_data__free_unpacked(m, nullptr); });
  ProtobufReader(table).read(*message);
}

bool is_framed_otlp(const char *bytes, size_t length) {
  if (length < 5) return false;
  uint32_t first = frame_length(bytes);
  return first > 0 && first <= length - 4 && starts_message(bytes[4]);
}

bool is_otlp_protobuf_message(const char *bytes, size_t length) {
  if (length < 2 || bytes[0] != 0x0A) return false;
  uint64_t size = 0;  // the varint length of the first ResourceSpans
  size_t at = 1;
  for (int shift = 0; at < length && shift < 64; shift += 7, ++at) {
    size |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[at]) & 0x7F) << shift;
    if ((static_cast<uint8_t>(bytes[at]) & 0x80) == 0) return size <= length - at - 1;
  }
  return false;
}

void read_framed_otlp(wsl_span_table &table, const char *bytes, size_t length, size_t limit) {
  size_t at = 0;
  while (at < length) {
    uint32_t size = length - at >= 4 ? frame_length(bytes + at) : UINT32_MAX;
    if (size > length - at - std::min<size_t>(4, length - at)) {
      ++table.quality.skipped_records;
      table.warnings.push_back({static_cast<int64_t>(at), "the last message is cut short (still being written?): skipped", ""});
      return;
    }
    const char *message = bytes + at + 4;
    auto offset = static_cast<int64_t>(at);
    std::string inflated;
    if (auto decoder = Decompressor::open(message, size)) {  // the legacy exporter compresses each message
      char chunk[1 << 16];
      for (size_t got; (got = decoder->read(chunk, sizeof(chunk))) > 0;) {
        if (inflated.size() + got > limit) {
          throw ParseError{WSL_ERROR_LIMIT, "a message inflates to more than " + std::to_string(limit) + " bytes", offset};
        }
        inflated.append(chunk, got);
      }
      message = inflated.data();
      size = static_cast<uint32_t>(std::min<size_t>(inflated.size(), UINT32_MAX));
    }
    try {
      if (size > 0 && message[0] == '{') {
        read_otlp_document(table, message, size, inflated.empty() ? offset + 4 : 0);
      } else {
        read_otlp_protobuf_message(table, message, size, offset);
      }
    } catch (const ParseError &error) {
      if (inflated.empty()) throw;
      throw ParseError{error.status,
                       "in the zstd-compressed message at this place, at byte " + std::to_string(error.offset) +
                           " of it: " + error.message,
                       offset};
    }
    at += 4 + static_cast<size_t>(frame_length(bytes + at));
  }
}

}  // namespace whyslow
