/*
 * whyslow native core: trace parsing into a columnar span table, parent
 * linking with data-quality counts, and the interval arithmetic over span
 * columns.
 *
 * Only opaque handles, fixed-width integers, plain structs of them, pointers
 * plus counts and one status enum cross this boundary. No C++ types, no
 * exceptions.
 */
#ifndef WHYSLOW_CORE_H
#define WHYSLOW_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every fallible core call. */
typedef enum wsl_status {
  WSL_OK = 0,
  /** The bytes are not valid JSON (or not valid gzip). */
  WSL_ERROR_JSON = 1,
  /** Readable, but not the shape of the format. */
  WSL_ERROR_SCHEMA = 2,
  /** Allocation failed. */
  WSL_ERROR_MEMORY = 3,
  /** The input exceeds a limit the caller set (decompressed size). */
  WSL_ERROR_LIMIT = 4,
} wsl_status;

/** Trace file formats. */
typedef enum wsl_format {
  /** Detect from the content. */
  WSL_FORMAT_AUTO = 0,
  /** Jaeger JSON: UI download, query API, a trace, an array of traces or of spans. */
  WSL_FORMAT_JAEGER = 1,
  /** OTLP JSON (also JSON Lines, and the Jaeger API v3 {"result":...} wrapper). */
  WSL_FORMAT_OTLP = 2,
  /** Zipkin v2 JSON: an array of spans, or an array of arrays. */
  WSL_FORMAT_ZIPKIN = 3,
  /** A span table as CSV with a header row. */
  WSL_FORMAT_CSV = 4,
  /** whyslow's own span records (wsl_span_table_write_records): spans regrouped by trace. */
  WSL_FORMAT_SPAN_RECORDS = 5,
  /** OTLP protobuf: a TracesData / ExportTraceServiceRequest / Tempo trace message, or the
      Collector file exporter's length-prefixed messages (format: proto, or compressed). */
  WSL_FORMAT_OTLP_PROTO = 6,
} wsl_format;

/** How a span hangs off its parent. */
typedef enum wsl_edge_kind {
  /** No parent in the table (a root, or its parent is missing). */
  WSL_EDGE_NONE = 0,
  /** Synchronous child: the parent waits for it. */
  WSL_EDGE_CHILD_OF = 1,
  /** Asynchronous child (FOLLOWS_FROM, PRODUCER/CONSUMER): never covers its parent. */
  WSL_EDGE_FOLLOWS_FROM = 2,
} wsl_edge_kind;

/** Span kinds, numbered as OTLP numbers them. */
typedef enum wsl_span_kind {
  WSL_KIND_UNSPECIFIED = 0,
  WSL_KIND_INTERNAL = 1,
  WSL_KIND_SERVER = 2,
  WSL_KIND_CLIENT = 3,
  WSL_KIND_PRODUCER = 4,
  WSL_KIND_CONSUMER = 5,
} wsl_span_kind;

/** Attribute value types. */
typedef enum wsl_attribute_type {
  WSL_ATTRIBUTE_STRING = 0,
  WSL_ATTRIBUTE_BOOL = 1,
  WSL_ATTRIBUTE_INT = 2,
  WSL_ATTRIBUTE_DOUBLE = 3,
  WSL_ATTRIBUTE_BYTES = 4,
  /** A span event (Jaeger log, OTLP event, Zipkin annotation): the key is its name, the
      attribute's time its timestamp; never a feature. */
  WSL_ATTRIBUTE_EVENT = 5,
} wsl_attribute_type;

/** What reading and linking a table had to repair or skip. */
typedef struct wsl_quality {
  /** Spans dropped because their id repeated one already in the trace. */
  int64_t duplicate_spans;
  /** Zipkin client/server halves sharing one id, split into a client parent and server child. */
  int64_t shared_spans_split;
  /** Spans whose parent is not in the table, or whose parent link closed a cycle (treated as roots). */
  int64_t orphan_spans;
  /** Traces with more than one span without a parent. */
  int64_t multi_root_traces;
  /** Spans without a start time or duration, left out. */
  int64_t spans_without_timing;
  /** Records that could not be read (no trace or span id, a malformed CSV row), left out. */
  int64_t skipped_records;
  /** Synchronous children starting before or ending after their parent. */
  int64_t skewed_spans;
  /** The largest such overhang, nanoseconds. */
  int64_t worst_skew_nanos;
  /** Asynchronous parent edges (FOLLOWS_FROM, PRODUCER/CONSUMER) plus span links. */
  int64_t async_edges;
  /** Spans without a service name (given the service "unknown_service"). */
  int64_t spans_without_service;
  /** Traces with a span whose parent is missing (dropped, never exported). */
  int64_t incomplete_traces;
  /** Such spans hung under the shortest span of their trace that holds them (where the
      missing span was), so that their time stays on the trace's critical path. */
  int64_t reattached_orphans;
} wsl_quality;

/** A columnar table of spans, appended to by the parsers. */
typedef struct wsl_span_table wsl_span_table;

/** Creates an empty table; free it with wsl_span_table_free. */
wsl_status wsl_span_table_create(wsl_span_table **out);
void wsl_span_table_free(wsl_span_table *table);

/**
 * A regular file's bytes mapped read-only from the page cache (no copy), with at
 * least 64 readable zero bytes after its end so that the JSON readers parse in
 * place. Should the file shrink while it is mapped (rotated by truncation), the
 * read of a vanished page would raise SIGBUS: the core then prints which file
 * changed and exits with status 74 rather than crash.
 */
typedef struct wsl_mapped_file {
  const char *bytes;
  size_t length;
  /** Readable bytes from `bytes` (>= length + 64): the `capacity` for wsl_parse. */
  size_t readable;
} wsl_mapped_file;

/**
 * Maps `length` bytes of the open regular file `descriptor` (named `path` in the
 * message above). Returns 0 on success, else an errno value (the caller then
 * reads the file instead).
 */
int wsl_map_file(int descriptor, const char *path, size_t length, wsl_mapped_file *file);

/**
 * Keeps memory the process frees for the allocations that follow instead of handing it back
 * to the kernel (glibc; elsewhere nothing): each step of a run frees columns the next one
 * allocates again, and every page the kernel hands out anew costs a fault and a clearing.
 * Blocks under 32 MB then come from the heap, which grows 64 MB at a time and is never
 * trimmed; the peak resident size stays the same. Call once, before the first large allocation.
 */
void wsl_keep_freed_memory(void);

/** The first line of a span records file; frames follow. */
#define WSL_SPAN_RECORDS_MAGIC "whyslow span records 1\n"

/**
 * Writes the spans of a table that is not linked yet (as wsl_parse left it) to `descriptor`
 * as span records: one self-contained frame per span that starts with its trace id, so that
 * frames can be regrouped into whole traces (a shuffle by trace id) and read back by
 * wsl_parse, after WSL_SPAN_RECORDS_MAGIC, into the same spans. Attribute values keep whether
 * they were recorded.
 */
wsl_status wsl_span_table_write_records(const wsl_span_table *table, int descriptor);

/** Unmaps a file mapped by wsl_map_file. */
void wsl_unmap_file(wsl_mapped_file *file);

/**
 * Parses one input (a whole file, gzip- or zstd-compressed or not) and appends its spans.
 * With WSL_FORMAT_AUTO the format is detected from the content; `detected`
 * receives the format read. `csv_columns` (may be NULL) maps CSV columns by
 * hand: "trace=TraceID,span=SpanID,parent=ParentID,service=PodName,...".
 * `capacity` (>= length) is how many bytes from `bytes` may be read: with at
 * least 64 beyond `length` the JSON readers parse in place, without a copy.
 * Compressed span-table CSV and JSON Lines are read as they are decompressed;
 * any other compressed document that inflates to more than `max_inflated_bytes`
 * (or a record longer than that) fails with WSL_ERROR_LIMIT before that much
 * memory is taken. On failure wsl_span_table_error describes where, and the table holds part of
 * the input: parse each input into a table of its own and append it to the
 * batch (wsl_span_table_append) only on success.
 */
wsl_status wsl_parse(wsl_span_table *table, const char *bytes, size_t length, size_t capacity,
                     wsl_format format, const char *csv_columns, size_t max_inflated_bytes,
                     wsl_format *detected);

/** Sets how many distinct values of one attribute key the table records (1,024 by default);
    further new values are counted as unrecorded (text -1). Call before parsing. */
void wsl_span_table_set_value_limit(wsl_span_table *table, int32_t limit);

/** Moves every span, attribute, count and note of `from` (unlinked) to the end of `into`;
    `from` is left empty. Into an empty table this is a swap: nothing is copied. */
wsl_status wsl_span_table_append(wsl_span_table *into, wsl_span_table *from);

/** The last error's message (NUL-terminated, owned by the table) and its place: "12:5" (line
    and column), "12:5 of the decompressed data", or "" when unknown. */
const char *wsl_span_table_error(const wsl_span_table *table);
const char *wsl_span_table_error_place(const wsl_span_table *table);

/** What the last parse skipped without failing (a JSON Lines file's cut last line): each
    warning's place (as wsl_span_table_error_place) and message. */
int64_t wsl_span_table_warning_count(const wsl_span_table *table);
const char *wsl_span_table_warning_place(const wsl_span_table *table, int64_t index);
const char *wsl_span_table_warning(const wsl_span_table *table, int64_t index);

/** Adds a note (stated once, kept through wsl_span_table_append). */
void wsl_span_table_add_note(wsl_span_table *table, const char *text);

/**
 * Resolves parent references to row indices within each trace, splits Zipkin
 * shared client/server spans, drops duplicate ids, marks PRODUCER/CONSUMER
 * edges asynchronous and counts what it repaired. Call once after the last
 * parse and before reading the parent or edge columns. Traces are linked on up
 * to `threads` threads (the caller's among them); the result does not depend
 * on the count.
 */
void wsl_span_table_link(wsl_span_table *table, int32_t threads);

/** Counts. */
int64_t wsl_span_table_span_count(const wsl_span_table *table);
int64_t wsl_span_table_trace_count(const wsl_span_table *table);
int64_t wsl_span_table_string_count(const wsl_span_table *table);
int64_t wsl_span_table_attribute_count(const wsl_span_table *table);
wsl_quality wsl_span_table_quality(const wsl_span_table *table);

/** Notes the readers made about what they inferred (NUL-terminated, owned by the table). */
int64_t wsl_span_table_note_count(const wsl_span_table *table);
const char *wsl_span_table_note(const wsl_span_table *table, int64_t index);

/** Span column copies into caller buffers of span_count elements. */
void wsl_span_table_copy_trace_index(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_parent_index(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_edge_kind(const wsl_span_table *table, int8_t *out);
void wsl_span_table_copy_span_kind(const wsl_span_table *table, int8_t *out);
void wsl_span_table_copy_service(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_operation(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_start_nanos(const wsl_span_table *table, int64_t *out);
void wsl_span_table_copy_duration_nanos(const wsl_span_table *table, int64_t *out);
void wsl_span_table_copy_error(const wsl_span_table *table, int8_t *out);
/** Interned string id of each trace's id, trace_count elements. */
void wsl_span_table_copy_trace_id(const wsl_span_table *table, int32_t *out);

/** Attribute column copies, attribute_count elements each. */
void wsl_span_table_copy_attribute_span(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_attribute_key(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_attribute_text(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_attribute_number(const wsl_span_table *table, double *out);
void wsl_span_table_copy_attribute_type(const wsl_span_table *table, int8_t *out);
/** Each attribute's time in nanoseconds: an event's timestamp, 0 for other attributes. */
void wsl_span_table_copy_attribute_time(const wsl_span_table *table, int64_t *out);

/** The UTF-8 bytes of interned string `index` (not NUL-terminated) and their length. */
const char *wsl_span_table_string(const wsl_span_table *table, int32_t index, size_t *length);

/** Linked span columns, as the wsl_span_table_copy_* calls give them; count rows each. */
typedef struct wsl_span_columns {
  size_t count;
  const int32_t *trace_index;
  const int32_t *parent_index;
  const int8_t *edge_kind;
  const int8_t *span_kind;
  const int32_t *service;
  const int64_t *start_nanos;
  const int64_t *duration_nanos;
} wsl_span_columns;

/** Where wsl_compute_span_metrics writes; each pointer receives count values. */
typedef struct wsl_span_metrics {
  /** Duration minus the union of synchronous children, each clipped to the span. */
  int64_t *self_nanos;
  /** Time on the trace's critical path (CRISP); a trace's values sum to its root's duration. */
  int64_t *critical_nanos;
  /** From the parent's start, or the end of the sibling that finished last before this span
      started, to this span's start (0 for roots, never negative). */
  int64_t *wait_nanos;
  /** Start minus the trace root's start. */
  int64_t *start_offset_nanos;
  /** Depth below the root (roots 0). */
  int32_t *depth;
  /** For a client span: its duration minus its callee's server span's (0 otherwise). */
  int64_t *network_gap_nanos;
  /** For a client span: the row of its callee's server span, else -1. */
  int32_t *callee_row;
} wsl_span_metrics;

/**
 * Per-span timing metrics of linked spans. `root_row` gives each trace's root
 * row (trace_count values, -1 for none). Asynchronous children never cover
 * their parent and are never on its critical path.
 */
void wsl_compute_span_metrics(const wsl_span_columns *spans, size_t trace_count, const int32_t *root_row,
                              const wsl_span_metrics *out);

/**
 * Benchmark reference: simdjson On-Demand alone walking a Jaeger or OTLP
 * document and touching the same fields the readers extract, building
 * nothing. Returns the number of spans seen, or -1 on a parse error.
 */
int64_t wsl_bare_simdjson_scan(const char *bytes, size_t length, wsl_format format);

#ifdef __cplusplus
}
#endif

#endif /* WHYSLOW_CORE_H */
