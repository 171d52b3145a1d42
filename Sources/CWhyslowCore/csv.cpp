// Span tables exported as CSV (ClickHouse, SigNoz, notebooks, the Nezha dataset) -> rows.
// Column roles are recognized from the header or mapped by hand; time units are inferred
// from column names or magnitudes and stated in the table's notes.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "span_table.hpp"

namespace whyslow {
namespace {

enum Role { kTrace, kSpan, kParent, kService, kOperation, kStart, kEnd, kDuration, kStatus, kKind, kRoles };
const char *const kRoleNames[kRoles] = {"trace", "span", "parent", "service", "operation",
                                        "start", "end", "duration", "status", "kind"};

/// Header names (lower case, letters and digits only) recognized for each role, best first.
const std::vector<std::vector<std::string>> kSynonyms = {
    {"traceid", "trace"},
    {"spanid", "span"},
    {"parentid", "parentspanid", "parent", "parentspan"},
    {"servicename", "service", "resourceservicename", "podname", "pod"},
    {"operationname", "operation", "spanname", "name", "endpoint"},
    {"starttimeunixnano", "starttime", "start", "timestamp", "startts", "starttimestamp"},
    {"endtimeunixnano", "endtime", "end", "endts", "endtimestamp"},
    {"duration", "durationnano", "durationns", "durationus", "durationms", "elapsed"},
    {"statuscode", "status", "error", "iserror", "haserror"},
    {"spankind", "kind"},
};

/// A squashed header name without a trailing time unit ("startms" -> "start").
std::string without_unit(const std::string &squashed) {
  for (const char *suffix : {"unixnanos", "unixnano", "nanos", "nano", "ns", "micros", "micro", "us",
                             "millis", "milli", "ms", "seconds", "secs", "sec"}) {
    size_t n = std::strlen(suffix);
    if (squashed.size() > n && squashed.compare(squashed.size() - n, n, suffix) == 0) {
      return squashed.substr(0, squashed.size() - n);
    }
  }
  return squashed;
}

std::string squash(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// Splits CSV (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes) record by record.
class CsvCursor {
 public:
  /// A cursor at the start of `bytes`, whose first line is line `lines_before` + 1.
  CsvCursor(const char *bytes, size_t length, int64_t lines_before)
      : at_(bytes), end_(bytes + length), base_(bytes), line_(lines_before) {}

  bool done() const { return at_ >= end_; }
  size_t offset() const { return static_cast<size_t>(at_ - base_); }
  /// The line the last record read started on, and the last line it reached.
  int64_t record_line() const { return record_line_; }
  int64_t line() const { return line_; }
  /// Whether the last record read ran into the end of the bytes (no line break after it):
  /// when more bytes are to come, it may be whole only with them.
  bool ran_to_end() const { return ran_to_end_; }

  /// Moves past blank lines (only line breaks), counting them: a stream of them costs a byte
  /// compare each, not a record.
  void skip_blank_lines() {
    for (; at_ < end_ && (*at_ == '\n' || *at_ == '\r'); ++at_) line_ += *at_ == '\n';
  }

  /// Reads one record into `fields`; false when the quoting is broken. A quote left open at the
  /// end of the data costs only its own line: reading resumes after that line's break, so
  /// the records that follow are not swallowed into one field.
  bool next(std::vector<std::string> &fields) {
    fields.clear();
    std::string field;
    bool quoted = false;
    ++line_;
    const int64_t first_line = record_line_ = line_;
    const char *after_first_break = nullptr;
    ran_to_end_ = true;
    while (at_ < end_) {
      char c = *at_++;
      if (quoted) {
        if (c == '"') {
          if (at_ < end_ && *at_ == '"') {
            field += '"';
            ++at_;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') {
            ++line_;
            if (after_first_break == nullptr) after_first_break = at_;
          }
          field += c;
        }
      } else if (c == '"' && field.empty()) {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
      } else if (c == '\n') {
        ran_to_end_ = false;
        break;
      } else if (c != '\r') {
        field += c;
      }
    }
    fields.push_back(std::move(field));
    if (quoted && after_first_break != nullptr) {
      at_ = after_first_break;
      line_ = first_line;
    }
    return !quoted;
  }

 private:
  const char *at_;
  const char *end_;
  const char *base_;
  int64_t line_;
  int64_t record_line_ = 0;
  bool ran_to_end_ = false;
};

/// Nanoseconds per unit of a time column: from its name, else from the magnitude of a value
/// (epoch seconds ~1.7e9, milliseconds ~1.7e12, microseconds ~1.7e15, nanoseconds ~1.7e18).
int64_t unit_from_name(const std::string &name) {
  std::string squashed = squash(name);
  auto ends_with = [&](const char *suffix) {
    size_t n = std::strlen(suffix);
    return squashed.size() >= n && squashed.compare(squashed.size() - n, n, suffix) == 0;
  };
  if (squashed.find("nano") != std::string::npos || ends_with("ns")) return 1;
  if (squashed.find("micro") != std::string::npos || ends_with("us")) return 1000;
  if (squashed.find("milli") != std::string::npos || ends_with("ms")) return 1000000;
  if (squashed.find("sec") != std::string::npos) return 1000000000;
  return 0;
}

int64_t unit_from_epoch_magnitude(double value) {
  if (value >= 1e17) return 1;
  if (value >= 1e14) return 1000;
  if (value >= 1e11) return 1000000;
  return 1000000000;
}

const char *unit_word(int64_t nanos_per_unit) {
  switch (nanos_per_unit) {
    case 1: return "nanoseconds";
    case 1000: return "microseconds";
    case 1000000: return "milliseconds";
    default: return "seconds";
  }
}

/// Parses a decimal number of `unit`-nanosecond units into exact nanoseconds.
bool parse_scaled(const std::string &text, int64_t unit, int64_t &out) {
  size_t at = 0;
  bool negative = false;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) negative = text[at++] == '-';
  __int128 whole = 0;
  size_t digits = 0;
  for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, ++digits) {
    whole = whole * 10 + (text[at] - '0');
    if (whole > INT64_MAX) return false;  // no unit makes it fit; whole·unit stays below 2^94
  }
  __int128 nanos = whole * unit;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = unit;
    for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, ++digits) {
      scale /= 10;
      nanos += static_cast<__int128>(text[at] - '0') * scale;  // digits below 1 ns are dropped
    }
  }
  if (digits == 0 || at != text.size()) return false;
  if (negative) nanos = -nanos;
  if (nanos > INT64_MAX || nanos < INT64_MIN) return false;
  out = static_cast<int64_t>(nanos);
  return true;
}

bool is_segment_of(std::string_view segment, size_t min_length, size_t max_length) {
  return segment.size() >= min_length && segment.size() <= max_length &&
         std::all_of(segment.begin(), segment.end(), [](char c) {
           return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
         });
}

/// A Kubernetes pod name without its replica-set hash and pod suffix
/// (`ts-basic-service-5dc8d4f9fd-llznp` -> `ts-basic-service`), or without a DaemonSet-style
/// 5-character suffix; other names are kept.
std::string service_of_pod(const std::string &pod) {
  size_t last = pod.rfind('-');
  if (last == std::string::npos || !is_segment_of(std::string_view(pod).substr(last + 1), 5, 5)) return pod;
  size_t before = last == 0 ? std::string::npos : pod.rfind('-', last - 1);
  if (before != std::string::npos && is_segment_of(std::string_view(pod).substr(before + 1, last - before - 1), 6, 10)) {
    return pod.substr(0, before);
  }
  return pod.substr(0, last);
}

bool is_no_parent(const std::string &value) {
  std::string squashed = squash(value);
  return squashed.empty() || squashed == "root" || squashed == "0" || squashed == "null" ||
         squashed == "none" || value == "-1" || squashed == "0000000000000000";
}

bool is_error_status(const std::string &value) {
  std::string squashed = squash(value);
  return squashed == "error" || squashed == "2" || squashed == "true" || squashed == "statuscodeerror" ||
         squashed == "1" || squashed == "yes";
}

/// Whether a time is written as a date ("2024-01-01 00:00:00.000000000", RFC 3339).
bool is_date_time(const std::string &text) {
  auto digit = [&](size_t i) { return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); };
  return digit(0) && digit(1) && digit(2) && digit(3) && text.size() > 10 && text[4] == '-' && digit(5) &&
         digit(6) && text[7] == '-' && digit(8) && digit(9);
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

/// Nanoseconds since the epoch of `YYYY-MM-DD[T ]hh:mm:ss[.fffffffff][Z|+hh:mm|-hhmm]`; UTC when
/// no offset is given (ClickHouse writes DateTime64 so, in the server's time zone).
bool parse_date_time(const std::string &text, int64_t &out) {
  size_t at = 0;
  auto number = [&](size_t digits, int64_t &value) {
    value = 0;
    for (size_t k = 0; k < digits; ++k, ++at) {
      if (at >= text.size() || !std::isdigit(static_cast<unsigned char>(text[at]))) return false;
      value = value * 10 + (text[at] - '0');
    }
    return true;
  };
  auto expect = [&](const char *options) {
    if (at >= text.size() || std::strchr(options, text[at]) == nullptr) return false;
    ++at;
    return true;
  };
  int64_t year, month, day, hour, minute, second;
  if (!number(4, year) || !expect("-") || !number(2, month) || !expect("-") || !number(2, day) ||
      !expect("T t") || !number(2, hour) || !expect(":") || !number(2, minute) || !expect(":") ||
      !number(2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  int64_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = 100000000;
    size_t digits = 0;
    for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, ++digits, scale /= 10) {
      fraction += (text[at] - '0') * scale;  // digits below 1 ns are dropped
    }
    if (digits == 0) return false;
  }
  int64_t offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int64_t sign = text[at++] == '-' ? -1 : 1;
    int64_t offset_hours, offset_minutes;
    if (!number(2, offset_hours)) return false;
    if (at < text.size() && text[at] == ':') ++at;
    if (!number(2, offset_minutes)) return false;
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  }
  if (at != text.size()) return false;
  int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  if (seconds > INT64_MAX / 1000000000 - 1 || seconds < INT64_MIN / 1000000000 + 1) return false;
  out = seconds * 1000000000 + fraction;
  return true;
}

/// A unit named in a --columns mapping ("ns", "us", "ms", "s"), or 0.
int64_t unit_from_suffix(const std::string &suffix) {
  if (suffix == "ns") return 1;
  if (suffix == "us") return 1000;
  if (suffix == "ms") return 1000000;
  if (suffix == "s") return 1000000000;
  return 0;
}

}  // namespace

/// A header row longer than this is not one (a stream of bytes without line breaks).
constexpr size_t kLongestHeader = size_t{1} << 20;
/// A record longer than this is not a span (a quote never closed, binary data).
constexpr size_t kLongestRecord = size_t{256} << 20;

struct CsvReader::State {
  State(wsl_span_table &table, const char *columns) : table(table), columns(columns == nullptr ? "" : columns) {
    std::fill(role_column, role_column + kRoles, -1);
    std::fill(role_unit, role_unit + kRoles, 0);
  }

  wsl_span_table &table;
  std::string columns;
  bool have_header = false;
  std::vector<std::string> header;
  int role_column[kRoles];
  int64_t role_unit[kRoles];  // a unit given by hand (--columns duration=Duration:ns), else 0
  bool service_is_pod = false;
  int64_t start_unit = 0;     // nanoseconds per unit, 0 until known
  int64_t duration_unit = 0;  // 0: the start times' unit (or, for date-times, none)
  bool dates = false;         // start (and end) times are written as date-times
  bool described = false;
  int64_t lines = 0;  // lines read so far
  int64_t records = 0;
  int64_t rows = 0;
  std::string first_rejected;  // "line 2: ..." of the first record not read
  std::vector<std::string> fields;
  Row row;
  std::string service;

  std::string header_text() const {
    std::string names;
    for (const std::string &name : header) names += (names.empty() ? "" : ",") + name;
    return names;
  }

  const std::string &column_name(Role role) const { return header[static_cast<size_t>(role_column[role])]; }

  void map_columns() {
    for (size_t at = 0; at < columns.size();) {  // by hand: "trace=TraceID,duration=Duration:ns,..."
      size_t comma = columns.find(',', at);
      std::string pair = columns.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      at = comma == std::string::npos ? columns.size() : comma + 1;
      size_t equals = pair.find('=');
      std::string role = pair.substr(0, equals);
      std::string column = equals == std::string::npos ? "" : pair.substr(equals + 1);
      int role_index = static_cast<int>(std::find(kRoleNames, kRoleNames + kRoles, role) - kRoleNames);
      if (role_index == kRoles) {
        throw ParseError{WSL_ERROR_SCHEMA,
                         "--columns: unknown role \"" + role +
                             "\" (roles: trace, span, parent, service, operation, start, end, "
                             "duration, status, kind)",
                         -1};
      }
      size_t colon = column.rfind(':');
      if (colon != std::string::npos && std::find(header.begin(), header.end(), column) == header.end()) {
        int64_t unit = unit_from_suffix(column.substr(colon + 1));
        if (unit == 0) {
          throw ParseError{WSL_ERROR_SCHEMA,
                           "--columns: unknown unit \"" + column.substr(colon + 1) + "\" (units: ns, us, ms, s)", -1};
        }
        role_unit[role_index] = unit;
        column.resize(colon);
      }
      auto found = std::find(header.begin(), header.end(), column);
      if (found == header.end()) {
        throw ParseError{WSL_ERROR_SCHEMA, "--columns: the header has no column \"" + column + "\"", 0};
      }
      role_column[role_index] = static_cast<int>(found - header.begin());
    }
    for (int role = 0; role < kRoles; ++role) {
      for (const std::string &synonym : kSynonyms[static_cast<size_t>(role)]) {
        if (role_column[role] >= 0) break;
        for (size_t column = 0; column < header.size(); ++column) {
          bool taken = std::find(role_column, role_column + kRoles, static_cast<int>(column)) != role_column + kRoles;
          std::string squashed = squash(header[column]);
          if (!taken && (squashed == synonym || without_unit(squashed) == synonym)) {
            role_column[role] = static_cast<int>(column);
            break;
          }
        }
      }
    }
    for (Role required : {kTrace, kSpan, kOperation, kStart}) {
      if (role_column[required] < 0) {
        throw ParseError{WSL_ERROR_SCHEMA,
                         std::string("span-table CSV: no column for the ") + kRoleNames[required] + " (header: " +
                             header_text() + "); map it with --columns " + kRoleNames[required] + "=NAME",
                         0};
      }
    }
    if (role_column[kEnd] < 0 && role_column[kDuration] < 0) {
      throw ParseError{WSL_ERROR_SCHEMA,
                       "span-table CSV: no end time or duration column; map one with --columns end=NAME or "
                       "duration=NAME",
                       0};
    }
    service_is_pod = role_column[kService] >= 0 && squash(column_name(kService)).find("pod") != std::string::npos;
    start_unit = role_unit[kStart] != 0 ? role_unit[kStart] : unit_from_name(column_name(kStart));
    if (role_column[kEnd] < 0) {
      duration_unit = role_unit[kDuration] != 0 ? role_unit[kDuration] : unit_from_name(column_name(kDuration));
    }
  }

  /// Whether the header is the OpenTelemetry Collector ClickHouse exporter's (otel_traces), whose
  /// "Duration" counts nanoseconds.
  bool is_clickhouse_exporter_table() const {
    int known = 0;
    for (const std::string &name : header) {
      for (const char *column : {"Timestamp", "TraceId", "SpanId", "SpanName", "ServiceName", "Duration"}) {
        if (name == column) ++known;
      }
    }
    return known == 6;
  }

  /// States what was inferred, from the first record.
  void describe(const std::string &first_start) {
    const std::string &start_name = column_name(kStart);
    dates = is_date_time(first_start);
    if (dates) {
      table.note("start times: column \"" + start_name + "\" read as date-times (UTC unless they give an offset)");
    } else if (start_unit == 0) {
      start_unit = unit_from_epoch_magnitude(std::strtod(first_start.c_str(), nullptr));
      table.note("start times: column \"" + start_name + "\" read as " + unit_word(start_unit) +
                 " (inferred from their magnitude)");
    } else {
      table.note("start times: column \"" + start_name + "\" read as " + unit_word(start_unit) +
                 (role_unit[kStart] != 0 ? " (as mapped)" : " (from its name)"));
    }
    if (role_column[kEnd] >= 0) {
      table.note("durations: end time minus start time (column \"" + column_name(kEnd) + "\")");
    } else {
      const char *why = role_unit[kDuration] != 0 ? " (as mapped)" : " (from its name)";
      if (duration_unit == 0 && dates) {
        if (!is_clickhouse_exporter_table()) {
          throw ParseError{WSL_ERROR_SCHEMA,
                           "span-table CSV: the start times are date-times and the duration column \"" +
                               column_name(kDuration) + "\" names no unit; give it with --columns duration=" +
                               column_name(kDuration) + ":ns (or :us, :ms, :s)",
                           0};
        }
        duration_unit = 1;
        why = " (the OpenTelemetry ClickHouse exporter's unit)";
      } else if (duration_unit == 0) {
        why = " (the start times' unit)";
      }
      table.note("durations: column \"" + column_name(kDuration) + "\" read as " +
                 unit_word(duration_unit != 0 ? duration_unit : start_unit) + why);
    }
    if (service_is_pod) {
      table.note("services: pod names without their Kubernetes replica-set and pod suffixes (column \"" +
                 column_name(kService) + "\")");
    }
  }

  bool parse_time(const std::string &text, int64_t unit, int64_t &out) const {
    return dates ? parse_date_time(text, out) : parse_scaled(text, unit, out);
  }

  /// Counts a record left out, remembering the first.
  void reject(int64_t &count, int64_t line, const std::string &why) {
    ++count;
    if (first_rejected.empty()) first_rejected = "line " + std::to_string(line) + ": " + why;
  }

  void read_record(int64_t line) {
    auto field = [&](Role role) -> const std::string & {
      static const std::string empty;
      return role_column[role] < 0 ? empty : fields[static_cast<size_t>(role_column[role])];
    };
    if (!described) {
      describe(field(kStart));
      described = true;
    }
    row = Row();
    row.trace_id = field(kTrace);
    row.span = table.span_key(field(kSpan));
    row.operation = field(kOperation);
    if (row.trace_id.empty() || !row.span.present()) {
      reject(table.quality.skipped_records, line, "no trace or span id");
      return;
    }
    const std::string &parent = field(kParent);
    if (!is_no_parent(parent)) {
      row.parent = table.span_key(parent);
      row.edge_kind = WSL_EDGE_CHILD_OF;
    }
    service = service_is_pod ? service_of_pod(field(kService)) : field(kService);
    row.service = service;
    if (!parse_time(field(kStart), start_unit, row.start_nanos)) {
      reject(table.quality.spans_without_timing, line,
             "start time \"" + field(kStart) + "\" is not " + (dates ? "a date-time" : "a number"));
      return;
    }
    if (role_column[kEnd] >= 0) {
      int64_t end_nanos = 0;
      if (!parse_time(field(kEnd), start_unit, end_nanos) || end_nanos < row.start_nanos) {
        reject(table.quality.spans_without_timing, line, "end time \"" + field(kEnd) + "\" unreadable or before the start");
        return;
      }
      row.duration_nanos = end_nanos - row.start_nanos;
    } else {
      int64_t unit = duration_unit != 0 ? duration_unit : start_unit;
      if (!parse_scaled(field(kDuration), unit, row.duration_nanos) || row.duration_nanos < 0) {
        reject(table.quality.spans_without_timing, line, "duration \"" + field(kDuration) + "\" is not a number >= 0");
        return;
      }
    }
    row.error = is_error_status(field(kStatus)) ? 1 : 0;
    row.span_kind = role_column[kKind] < 0 ? WSL_KIND_UNSPECIFIED : span_kind_from_name(field(kKind));
    table.append(row, nullptr, 0);
    ++rows;
  }
};

CsvReader::CsvReader(wsl_span_table &table, const char *columns) : state_(std::make_unique<State>(table, columns)) {}
CsvReader::~CsvReader() = default;

size_t CsvReader::read(const char *bytes, size_t length, bool last) {
  State &state = *state_;
  size_t skipped = 0;
  if (!state.have_header && state.lines == 0 && length >= 3 && std::memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
    skipped = 3;  // a UTF-8 byte-order mark is not part of the first column's name
  }
  CsvCursor cursor(bytes + skipped, length - skipped, state.lines);
  size_t consumed = skipped;
  while (true) {
    cursor.skip_blank_lines();
    consumed = skipped + cursor.offset();
    state.lines = cursor.line();
    if (cursor.done()) break;
    bool well_quoted = cursor.next(state.fields);
    if (cursor.ran_to_end() && !last) {  // the rest of this record comes with the next piece
      size_t held = length - consumed;
      if (!state.have_header && held > kLongestHeader) {
        throw ParseError{WSL_ERROR_SCHEMA, "not a span-table CSV: no header row in its first 1 MB", 0};
      }
      if (held > kLongestRecord) {
        throw ParseError{WSL_ERROR_SCHEMA,
                         "span-table CSV: the record at line " + std::to_string(cursor.record_line()) +
                             " runs past 256 MB: not a span table",
                         -1};
      }
      break;
    }
    consumed = skipped + cursor.offset();
    state.lines = cursor.line();
    if (!state.have_header) {
      if (!well_quoted || state.fields.size() < 2) {
        throw ParseError{WSL_ERROR_SCHEMA, "not a span-table CSV: no header row", 0};
      }
      state.header = state.fields;
      state.have_header = true;
      state.map_columns();
      continue;
    }
    if (state.fields.size() == 1 && state.fields[0].empty()) continue;  // blank line
    ++state.records;
    if (!well_quoted || state.fields.size() != state.header.size()) {
      state.reject(state.table.quality.skipped_records, cursor.record_line(),
                   well_quoted ? std::to_string(state.fields.size()) + " fields, the header has " +
                                     std::to_string(state.header.size())
                               : "a quote never closed");
      continue;
    }
    state.read_record(cursor.record_line());
  }
  if (last && !state.have_header) throw ParseError{WSL_ERROR_SCHEMA, "not a span-table CSV: no header row", 0};
  return last ? length : consumed;
}

void CsvReader::finish() const {
  const State &state = *state_;
  if (state.records > 0 && state.rows == 0) {
    throw ParseError{WSL_ERROR_SCHEMA,
                     "span-table CSV: none of its " + std::to_string(state.records) +
                         " records could be read (the first, " + state.first_rejected + ")",
                     -1};
  }
}

}  // namespace whyslow
