#include "io/net/metrics.h"

#include <cinttypes>
#include <cstdio>

namespace squall::net {

std::string_view listener_name(Listener l) {
  switch (l) {
    case Listener::kTcp:
      return "tcp";
    case Listener::kUdp:
      return "udp";
    case Listener::kHttp:
      return "http";
    case Listener::kCount:
      break;
  }
  return "?";
}

std::string_view drop_name(Drop d) {
  switch (d) {
    case Drop::kQueueFull:
      return "queue_full";
    case Drop::kKernel:
      return "kernel";
    case Drop::kTruncated:
      return "truncated";
    case Drop::kCount:
      break;
  }
  return "?";
}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double us = seconds * 1e6;
  sum_us_.fetch_add(us > 0 ? static_cast<std::uint64_t>(us) : 0, std::memory_order_relaxed);
}

namespace {

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<std::int64_t>(v)))
    std::snprintf(buf, sizeof buf, "%" PRId64, static_cast<std::int64_t>(v));
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += buf;
  out += '\n';
}

std::uint64_t get(const Counter& c) { return c.load(std::memory_order_relaxed); }

}  // namespace

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
  header(out, name, help, "histogram");
  std::uint64_t cum = 0;
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cum += get(buckets_[i]);
    char le[48];
    if (i < kBounds.size())
      std::snprintf(le, sizeof le, "le=\"%g\"", kBounds[i]);
    else
      std::snprintf(le, sizeof le, "le=\"+Inf\"");
    sample(out, bucket, le, static_cast<double>(cum));
  }
  sample(out, std::string(name) + "_sum", "",
         static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  sample(out, std::string(name) + "_count", "", static_cast<double>(get(count_)));
}

void render_counter(std::string& out, std::string_view name, std::string_view help,
                    std::uint64_t value) {
  header(out, name, help, "counter");
  sample(out, name, "", static_cast<double>(value));
}

void render_gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  header(out, name, help, "gauge");
  sample(out, name, "", value);
}

void render(const Metrics& m, std::string& out) {
  constexpr std::size_t kListeners = static_cast<std::size_t>(Listener::kCount);
  header(out, "squall_alerts_received_total",
         "Alerts and change events accepted by the parser, by listener.", "counter");
  for (std::size_t l = 0; l < kListeners; ++l) {
    const std::string lab =
        "listener=\"" + std::string(listener_name(static_cast<Listener>(l))) + "\"";
    sample(out, "squall_alerts_received_total", lab,
           static_cast<double>(get(m.listeners[l].accepted)));
  }
  header(out, "squall_alerts_rejected_total",
         "Alerts rejected by the parser, by listener and reason.", "counter");
  for (std::size_t l = 0; l < kListeners; ++l)
    for (std::size_t r = 0; r < m.listeners[l].rejected.size(); ++r) {
      const std::uint64_t v = get(m.listeners[l].rejected[r]);
      if (v == 0) continue;
      const std::string lab =
          "listener=\"" + std::string(listener_name(static_cast<Listener>(l))) + "\",reason=\"" +
          std::string(parse::reject_reason(static_cast<parse::Reject>(r))) + "\"";
      sample(out, "squall_alerts_rejected_total", lab, static_cast<double>(v));
    }
  header(out, "squall_alerts_dropped_total",
         "Input dropped before it was accepted, by listener and reason (UDP cannot push back).",
         "counter");
  for (std::size_t l = 0; l < kListeners; ++l)
    for (std::size_t d = 0; d < m.listeners[l].dropped.size(); ++d) {
      if (static_cast<Listener>(l) != Listener::kUdp && get(m.listeners[l].dropped[d]) == 0)
        continue;
      const std::string lab = "listener=\"" + std::string(listener_name(static_cast<Listener>(l))) +
                              "\",reason=\"" + std::string(drop_name(static_cast<Drop>(d))) + "\"";
      sample(out, "squall_alerts_dropped_total", lab,
             static_cast<double>(get(m.listeners[l].dropped[d])));
    }
  header(out, "squall_received_bytes_total", "Bytes received, by listener.", "counter");
  for (std::size_t l = 0; l < kListeners; ++l)
    sample(out, "squall_received_bytes_total",
           "listener=\"" + std::string(listener_name(static_cast<Listener>(l))) + "\"",
           static_cast<double>(get(m.listeners[l].bytes)));
  header(out, "squall_received_units_total",
         "Connections accepted (tcp, http) or datagrams received (udp).", "counter");
  for (std::size_t l = 0; l < kListeners; ++l)
    sample(out, "squall_received_units_total",
           "listener=\"" + std::string(listener_name(static_cast<Listener>(l))) + "\"",
           static_cast<double>(get(m.listeners[l].units)));
  header(out, "squall_http_responses_total", "HTTP responses by status code.", "counter");
  sample(out, "squall_http_responses_total", "code=\"2xx\"", static_cast<double>(get(m.http_2xx)));
  sample(out, "squall_http_responses_total", "code=\"400\"", static_cast<double>(get(m.http_400)));
  sample(out, "squall_http_responses_total", "code=\"404\"", static_cast<double>(get(m.http_404)));
  sample(out, "squall_http_responses_total", "code=\"413\"", static_cast<double>(get(m.http_413)));
  sample(out, "squall_http_responses_total", "code=\"429\"", static_cast<double>(get(m.http_429)));
  sample(out, "squall_http_responses_total", "code=\"5xx\"", static_cast<double>(get(m.http_5xx)));
  render_counter(out, "squall_tcp_backpressure_waits_total",
                 "Times a TCP connection stopped reading because the pipeline was full.",
                 get(m.tcp_backpressure_waits));
  render_counter(out, "squall_tcp_lines_too_long_total",
                 "TCP lines discarded for exceeding parse.max_line_bytes.",
                 get(m.tcp_lines_too_long));
  render_gauge(out, "squall_incidents_open", "Incidents open now.",
               static_cast<double>(m.incidents_open.load(std::memory_order_relaxed)));
  render_counter(out, "squall_incidents_opened_total", "Incidents opened.",
                 get(m.incidents_opened));
  render_counter(out, "squall_incidents_closed_total", "Incidents closed.",
                 get(m.incidents_closed));
  render_counter(out, "squall_incidents_merged_total", "Incidents merged into another.",
                 get(m.incidents_merged));
  render_counter(out, "squall_alerts_after_close_total",
                 "Resolved re-sends of a closed incident's alerts, counted with that incident.",
                 get(m.alerts_after_close));
  render_counter(out, "squall_bundles_total", "Incident bundles emitted.", get(m.bundles));
  render_counter(out, "squall_bundle_bytes_total", "Bytes of incident bundles emitted.",
                 get(m.bundle_bytes));
  render_counter(out, "squall_store_dropped_total",
                 "Bundles the incident store could not queue (its queue was full).",
                 get(m.store_dropped));
  m.bundle_latency.render(out, "squall_alert_to_bundle_seconds",
                          "Wall time from an alert's arrival to the first bundle that holds it.");
  render_counter(out, "squall_topology_reloads_total", "Topology reloads (SIGHUP) that succeeded.",
                 get(m.topology_reloads));
  render_counter(out, "squall_topology_reload_errors_total",
                 "Topology reloads (SIGHUP) that failed (the old topology stays).",
                 get(m.topology_reload_errors));
}

}  // namespace squall::net
