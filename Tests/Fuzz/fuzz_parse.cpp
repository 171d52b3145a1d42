// libFuzzer harnesses for the native core, one binary per entry point (FUZZ_TARGET):
//   jaeger, otlp, otlp_lines, otlp_proto, zipkin, csv: wsl_parse with that format named;
//   gzip, zstd: the input behind a gzip or zstd magic, detected as any format (the streaming
//     decompression paths: CSV and JSON Lines piece by piece, other documents whole);
//   span_records: span records (whyslow spans) read back; any other input is parsed as any
//     format, written as span records and read back: the same spans, and the same records again;
//   metrics: any format, then linking and the span metrics, with their invariants checked:
//     critical times >= 0 and summing to each trace root's duration, 0 <= self-time <= duration,
//     waits >= 0. A violated invariant aborts, which libFuzzer reports as a crash.
// Built with ASan and UBSan by scripts/fuzz.sh (make fuzz).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "whyslow_core.h"

namespace {

void require(bool condition, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

/// The earliest span without a parent of each trace (the longest on a tie), as the Swift side
/// picks roots.
std::vector<int32_t> root_rows(size_t traces, const std::vector<int32_t> &trace, const std::vector<int32_t> &parent,
                               const std::vector<int64_t> &start, const std::vector<int64_t> &duration) {
  std::vector<int32_t> root(traces, -1);
  for (size_t span = 0; span < trace.size(); ++span) {
    if (parent[span] >= 0) continue;
    int32_t &current = root[static_cast<size_t>(trace[span])];
    if (current < 0 || start[span] < start[current] ||
        (start[span] == start[current] && duration[span] > duration[current])) {
      current = static_cast<int32_t>(span);
    }
  }
  return root;
}

void check_metrics(wsl_span_table *table) {
  wsl_span_table_link(table, 2);  // two threads, as TraceReader links one batch
  auto count = static_cast<size_t>(wsl_span_table_span_count(table));
  auto traces = static_cast<size_t>(wsl_span_table_trace_count(table));
  std::vector<int32_t> trace(count), parent(count), service(count);
  std::vector<int8_t> edge(count), kind(count);
  std::vector<int64_t> start(count), duration(count);
  if (count > 0) {
    wsl_span_table_copy_trace_index(table, trace.data());
    wsl_span_table_copy_parent_index(table, parent.data());
    wsl_span_table_copy_service(table, service.data());
    wsl_span_table_copy_edge_kind(table, edge.data());
    wsl_span_table_copy_span_kind(table, kind.data());
    wsl_span_table_copy_start_nanos(table, start.data());
    wsl_span_table_copy_duration_nanos(table, duration.data());
  }
  std::vector<int32_t> roots = root_rows(traces, trace, parent, start, duration);
  wsl_span_columns columns{count, trace.data(), parent.data(), edge.data(), kind.data(), service.data(),
                           start.data(), duration.data()};
  std::vector<int64_t> self(count), critical(count), wait(count), offset(count), gap(count);
  std::vector<int32_t> depth(count), callee(count);
  wsl_span_metrics out{self.data(), critical.data(), wait.data(), offset.data(), depth.data(), gap.data(), callee.data()};
  wsl_compute_span_metrics(&columns, traces, roots.data(), &out);
  std::vector<__int128> critical_sum(traces, 0);
  for (size_t span = 0; span < count; ++span) {
    require(duration[span] >= 0, "duration >= 0");
    require(critical[span] >= 0, "critical time >= 0");
    require(self[span] >= 0 && self[span] <= duration[span], "0 <= self-time <= duration");
    require(wait[span] >= 0, "wait >= 0");
    critical_sum[static_cast<size_t>(trace[span])] += critical[span];
  }
  for (size_t t = 0; t < traces; ++t) {
    if (roots[t] >= 0) require(critical_sum[t] == duration[static_cast<size_t>(roots[t])], "critical times sum to the root's duration");
  }
}

}  // namespace

#if defined(FUZZ_SPAN_RECORDS)
/// The table's span records, read back into a new table, give as many spans, and the same
/// records again.
std::string records_of(wsl_span_table *table) {
  int descriptor = memfd_create("records", 0);
  require(descriptor >= 0, "memfd_create");
  require(write(descriptor, WSL_SPAN_RECORDS_MAGIC, std::strlen(WSL_SPAN_RECORDS_MAGIC)) > 0, "header written");
  require(wsl_span_table_write_records(table, descriptor) == WSL_OK, "records written");
  std::string bytes(static_cast<size_t>(lseek(descriptor, 0, SEEK_END)), '\0');
  require(pread(descriptor, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()), "records read");
  close(descriptor);
  return bytes;
}

void check_records_round_trip(wsl_span_table *table) {
  std::string records = records_of(table);
  wsl_span_table *copy = nullptr;
  require(wsl_span_table_create(&copy) == WSL_OK, "table");
  records.resize(records.size() + 64, ' ');
  wsl_format detected = WSL_FORMAT_AUTO;
  require(wsl_parse(copy, records.data(), records.size() - 64, records.size(), WSL_FORMAT_AUTO, nullptr, 64u << 20,
                    &detected) == WSL_OK && detected == WSL_FORMAT_SPAN_RECORDS, "records parse");
  require(wsl_span_table_span_count(copy) == wsl_span_table_span_count(table), "same spans");
  records.resize(records.size() - 64);
  require(records_of(copy) == records, "same records");
  wsl_span_table_free(copy);
}
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wsl_span_table *table = nullptr;
  if (wsl_span_table_create(&table) != WSL_OK) return 0;
  std::string input(reinterpret_cast<const char *>(data), size);
  wsl_format format = WSL_FORMAT_AUTO;
  const char *columns = nullptr;
#if defined(FUZZ_JAEGER)
  format = WSL_FORMAT_JAEGER;
#elif defined(FUZZ_OTLP) || defined(FUZZ_OTLP_LINES)
  format = WSL_FORMAT_OTLP;
#elif defined(FUZZ_OTLP_PROTO)
  format = WSL_FORMAT_OTLP_PROTO;
#elif defined(FUZZ_ZIPKIN)
  format = WSL_FORMAT_ZIPKIN;
#elif defined(FUZZ_CSV)
  format = WSL_FORMAT_CSV;
#elif defined(FUZZ_GZIP)
  input = std::string("\x1f\x8b", 2) + input;
#elif defined(FUZZ_ZSTD)
  input = std::string("\x28\xb5\x2f\xfd", 4) + input;
#endif
  // Padded, as whyslow reads files: the JSON readers parse in place (and Jaeger replies trace
  // by trace), the paths users take.
  std::vector<char> padded(input.begin(), input.end());
  padded.resize(input.size() + 64, ' ');
  wsl_format detected = WSL_FORMAT_AUTO;
  wsl_status status = wsl_parse(table, padded.data(), input.size(), padded.size(), format, columns, 64u << 20, &detected);
#if defined(FUZZ_METRICS)
  if (status == WSL_OK) check_metrics(table);
#elif defined(FUZZ_SPAN_RECORDS)
  if (status == WSL_OK && detected != WSL_FORMAT_SPAN_RECORDS) check_records_round_trip(table);
#else
  (void)status;
#endif
  wsl_span_table_free(table);
  return 0;
}
