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
  CsvCursor(const char *bytes, size_t length) : at_(bytes), end_(bytes + length), base_(bytes) {}

  bool done() const { return at_ >= end_; }
  int64_t offset() const { return static_cast<int64_t>(at_ - base_); }
  int64_t line() const { return line_; }

  /// Reads one record into `fields`; false when the quoting is broken. A quote left open at the
  /// end of the data costs only its own line: reading resumes after that line's break, so
  /// the records that follow are not swallowed into one field.
  bool next(std::vector<std::string> &fields) {
    fields.clear();
    std::string field;
    bool quoted = false;
    ++line_;
    const int64_t first_line = line_;
    const char *after_first_break = nullptr;
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
  int64_t line_ = 0;
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

}  // namespace

void read_csv(wsl_span_table &table, const char *bytes, size_t length, const char *columns) {
  // A UTF-8 byte-order mark is not part of the first column's name.
  if (length >= 3 && std::memcmp(bytes, "\xEF\xBB\xBF", 3) == 0) {
    bytes += 3;
    length -= 3;
  }
  CsvCursor cursor(bytes, length);
  std::vector<std::string> header;
  if (!cursor.next(header) || header.size() < 2) {
    throw ParseError{WSL_ERROR_SCHEMA, "not a span-table CSV: no header row", 0};
  }
  int role_column[kRoles];
  std::fill(role_column, role_column + kRoles, -1);
  // Mapped by hand: "trace=TraceID,span=SpanID,..."
  std::string mapping = columns == nullptr ? "" : columns;
  for (size_t at = 0; at < mapping.size();) {
    size_t comma = mapping.find(',', at);
    std::string pair = mapping.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? mapping.size() : comma + 1;
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
                       std::string("span-table CSV: no column for the ") + kRoleNames[required] +
                           " (header: " + [&] {
                             std::string names;
                             for (const std::string &name : header) names += (names.empty() ? "" : ",") + name;
                             return names;
                           }() + "); map it with --columns " + kRoleNames[required] + "=NAME",
                       0};
    }
  }
  if (role_column[kEnd] < 0 && role_column[kDuration] < 0) {
    throw ParseError{WSL_ERROR_SCHEMA,
                     "span-table CSV: no end time or duration column; map one with --columns end=NAME or duration=NAME",
                     0};
  }
  const std::string &start_name = header[static_cast<size_t>(role_column[kStart])];
  const bool service_is_pod = role_column[kService] >= 0 &&
                              squash(header[static_cast<size_t>(role_column[kService])]).find("pod") != std::string::npos;
  int64_t start_unit = unit_from_name(start_name);
  int64_t duration_unit = role_column[kEnd] >= 0 ? 0 : unit_from_name(header[static_cast<size_t>(role_column[kDuration])]);

  // What was inferred, stated once from the first record.
  bool described = false;
  auto describe = [&](const std::string &first_start) {
    if (start_unit == 0) {
      start_unit = unit_from_epoch_magnitude(std::strtod(first_start.c_str(), nullptr));
      table.note("start times: column \"" + start_name + "\" read as " + unit_word(start_unit) +
                 " (inferred from their magnitude)");
    } else {
      table.note("start times: column \"" + start_name + "\" read as " + unit_word(start_unit) + " (from its name)");
    }
    if (role_column[kEnd] >= 0) {
      table.note("durations: end time minus start time (column \"" +
                 header[static_cast<size_t>(role_column[kEnd])] + "\")");
    } else {
      table.note("durations: column \"" + header[static_cast<size_t>(role_column[kDuration])] + "\" read as " +
                 unit_word(duration_unit != 0 ? duration_unit : start_unit) +
                 (duration_unit != 0 ? " (from its name)" : " (the start times' unit)"));
    }
    if (service_is_pod) {
      table.note("services: pod names without their Kubernetes replica-set and pod suffixes (column \"" +
                 header[static_cast<size_t>(role_column[kService])] + "\")");
    }
  };

  std::vector<std::string> fields;
  Row row;
  std::string service;
  while (!cursor.done()) {
    bool well_quoted = cursor.next(fields);
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (!well_quoted || fields.size() != header.size()) {
      ++table.quality.skipped_records;
      continue;
    }
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
      ++table.quality.skipped_records;
      continue;
    }
    const std::string &parent = field(kParent);
    if (!is_no_parent(parent)) {
      row.parent = table.span_key(parent);
      row.edge_kind = WSL_EDGE_CHILD_OF;
    }
    service = service_is_pod ? service_of_pod(field(kService)) : field(kService);
    row.service = service;
    if (!parse_scaled(field(kStart), start_unit, row.start_nanos)) {
      ++table.quality.spans_without_timing;
      continue;
    }
    if (role_column[kEnd] >= 0) {
      int64_t end_nanos = 0;
      if (!parse_scaled(field(kEnd), start_unit, end_nanos) || end_nanos < row.start_nanos) {
        ++table.quality.spans_without_timing;
        continue;
      }
      row.duration_nanos = end_nanos - row.start_nanos;
    } else {
      int64_t unit = duration_unit != 0 ? duration_unit : start_unit;
      if (!parse_scaled(field(kDuration), unit, row.duration_nanos) || row.duration_nanos < 0) {
        ++table.quality.spans_without_timing;
        continue;
      }
    }
    row.error = is_error_status(field(kStatus)) ? 1 : 0;
    row.span_kind = role_column[kKind] < 0 ? WSL_KIND_UNSPECIFIED : span_kind_from_name(field(kKind));
    table.append(row, nullptr, 0);
  }
}

}  // namespace whyslow
