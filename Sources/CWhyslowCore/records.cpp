// Span records: a table's spans before parent linking, one self-contained binary frame per
// span, keyed by trace id, so that spans can be regrouped into whole traces elsewhere (a Spark
// shuffle) and read back into a table exactly as the original readers produced them.
//
// A records file is kSpanRecordsMagic (WSL_SPAN_RECORDS_MAGIC), then frames. A frame is a u32 body length, then the
// body: the trace id (u16 length, bytes), the span id and the parent id (each an i8 space:
// -1 none, 0 a hex value (u64), 1 text (u32 length, bytes)), the edge kind, span kind and
// error flag (i8 each), start and duration (i64 nanoseconds), service and operation (u32
// length, bytes), and the attributes (u32 count; each: key, i8 type, i8 recorded, text (u32
// length, bytes), f64 number, i64 time). Integers are little-endian.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "span_table.hpp"

namespace whyslow {
namespace {

class Writer {
 public:
  void u8(int8_t value) { bytes_.push_back(static_cast<char>(value)); }
  template <typename T>
  void number(T value) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.append(raw, sizeof(T));
  }
  void text32(std::string_view text) {
    number(static_cast<uint32_t>(text.size()));
    bytes_.append(text.data(), text.size());
  }
  void key(const wsl_span_table &table, SpanKey key) {
    u8(key.space);
    if (key.space == 0) number(key.value);
    if (key.space == 1) text32(table.span_ids.at(static_cast<int32_t>(key.value)));
  }
  std::string &bytes() { return bytes_; }

 private:
  std::string bytes_;
};

bool write_all(int descriptor, const std::string &bytes) {
  const char *at = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = write(descriptor, at, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    at += written;
    left -= static_cast<size_t>(written);
  }
  return true;
}

/// Reads a frame's fields, failing with the byte offset where the data runs out.
class Reader {
 public:
  Reader(const char *base, const char *at, const char *end) : base_(base), at_(at), end_(end) {}
  template <typename T>
  T number() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string_view text(size_t length) {
    need(length);
    std::string_view text(at_, length);
    at_ += length;
    return text;
  }
  std::string_view text32() { return text(number<uint32_t>()); }
  SpanKey key(wsl_span_table &table) {
    auto space = number<int8_t>();
    if (space == -1) return {};
    if (space == 0) return {number<uint64_t>(), 0};
    if (space == 1) return {static_cast<uint64_t>(table.span_ids.intern(text32())), 1};
    fail("a span id of unknown kind");
  }
  const char *at() const { return at_; }
  [[noreturn]] void fail(const std::string &what) const {
    throw ParseError{WSL_ERROR_SCHEMA, "span records: " + what + " at byte " + std::to_string(at_ - base_),
                     at_ - base_};
  }

 private:
  void need(size_t bytes) const {
    if (static_cast<size_t>(end_ - at_) < bytes) fail("a frame cut short");
  }
  const char *base_;
  const char *at_;
  const char *end_;
};

}  // namespace

void read_span_records(wsl_span_table &table, const char *bytes, size_t length) {
  const size_t magic = std::strlen(kSpanRecordsMagic);
  const char *at = bytes + magic;
  const char *end = bytes + length;
  // Values were budgeted when the spans were first read: recorded ones stay recorded here.
  int32_t budget = table.max_distinct_values;
  table.max_distinct_values = INT32_MAX;
  struct Restore {
    wsl_span_table &table;
    int32_t budget;
    ~Restore() { table.max_distinct_values = budget; }
  } restore{table, budget};
  std::vector<Attribute> attributes;
  while (at < end) {
    Reader frame(bytes, at, end);
    auto body = frame.number<uint32_t>();
    if (body > static_cast<size_t>(end - frame.at())) frame.fail("a frame longer than the file");
    const char *body_end = frame.at() + body;
    Reader field(bytes, frame.at(), body_end);
    Row row;
    row.trace_id = field.text(field.number<uint16_t>());
    if (row.trace_id.empty()) field.fail("a span without a trace id");
    row.span = field.key(table);
    row.parent = field.key(table);
    row.edge_kind = field.number<int8_t>();
    row.span_kind = field.number<int8_t>();
    row.error = field.number<int8_t>();
    if (row.edge_kind < WSL_EDGE_NONE || row.edge_kind > WSL_EDGE_FOLLOWS_FROM) field.fail("an unknown edge kind");
    if (row.span_kind < WSL_KIND_UNSPECIFIED || row.span_kind > WSL_KIND_CONSUMER) field.fail("an unknown span kind");
    row.start_nanos = field.number<int64_t>();
    row.duration_nanos = field.number<int64_t>();
    row.service = field.text32();
    row.operation = field.text32();
    auto count = field.number<uint32_t>();
    if (count > body) field.fail("more attributes than bytes");
    attributes.clear();
    for (uint32_t item = 0; item < count; ++item) {
      Attribute attribute{};
      attribute.key = field.text32();
      attribute.type = field.number<int8_t>();
      if (attribute.type < WSL_ATTRIBUTE_STRING || attribute.type > WSL_ATTRIBUTE_EVENT) field.fail("an unknown attribute type");
      attribute.recorded = field.number<int8_t>() != 0;
      attribute.text = field.text32();
      attribute.number = field.number<double>();
      attribute.time_nanos = field.number<int64_t>();
      attributes.push_back(attribute);
    }
    if (field.at() != body_end) field.fail("a frame with bytes left over");
    table.append(row, attributes.data(), attributes.size());
    at = body_end;
  }
}

}  // namespace whyslow

extern "C" wsl_status wsl_span_table_write_records(const wsl_span_table *table, int descriptor) {
  using namespace whyslow;
  try {
    Writer out;
    size_t attribute = 0;
    const size_t attributes = table->attribute_span.size();
    for (size_t row = 0; row < table->span_count(); ++row) {
      // The frame's length is patched in once its body is written, in place.
      size_t frame = out.bytes().size();
      out.number(uint32_t{0});
      std::string_view trace = table->strings.at(table->trace_ids[static_cast<size_t>(table->trace_index[row])]);
      if (trace.size() > UINT16_MAX) trace = trace.substr(0, UINT16_MAX);
      out.number(static_cast<uint16_t>(trace.size()));
      out.bytes().append(trace.data(), trace.size());
      out.key(*table, table->span_id[row]);
      out.key(*table, table->parent_span_id[row]);
      out.u8(table->edge_kind[row]);
      out.u8(table->span_kind[row]);
      out.u8(table->error[row]);
      out.number(table->start_nanos[row]);
      out.number(table->duration_nanos[row]);
      out.text32(table->strings.at(table->service[row]));
      out.text32(table->strings.at(table->operation[row]));
      size_t first = attribute;
      while (attribute < attributes && static_cast<size_t>(table->attribute_span[attribute]) == row) ++attribute;
      out.number(static_cast<uint32_t>(attribute - first));
      for (size_t item = first; item < attribute; ++item) {
        out.text32(table->strings.at(table->attribute_key[item]));
        out.u8(table->attribute_type[item]);
        int32_t text = table->attribute_text[item];
        out.u8(text != kNone || table->attribute_type[item] == WSL_ATTRIBUTE_EVENT ? 1 : 0);
        out.text32(text == kNone ? std::string_view() : table->strings.at(text));
        out.number(table->attribute_number[item]);
        out.number(table->attribute_time[item]);
      }
      auto length = static_cast<uint32_t>(out.bytes().size() - frame - sizeof(uint32_t));
      std::memcpy(out.bytes().data() + frame, &length, sizeof(length));
      if (out.bytes().size() > (1u << 20)) {
        if (!write_all(descriptor, out.bytes())) return WSL_ERROR_MEMORY;
        out.bytes().clear();
      }
    }
    return write_all(descriptor, out.bytes()) ? WSL_OK : WSL_ERROR_MEMORY;
  } catch (const std::bad_alloc &) {
    return WSL_ERROR_MEMORY;
  }
}
