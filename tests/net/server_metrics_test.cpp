#include "net/server_metrics.hpp"

#include <gtest/gtest.h>

namespace edgent::net {
namespace {

TEST(ServerMetrics, RendersPrometheusText) {
  ServerMetrics m;
  m.record(200, 0.003, 100, 50);
  m.record(200, 0.2, 10, 5);
  m.record(413, 3.0, 1, 2);
  m.add_inflight(2);
  m.add_inflight(-1);
  m.add_connections(3);
  EXPECT_EQ(m.requests(200), 2u);
  EXPECT_EQ(m.requests(404), 0u);
  const auto text = m.render();
  for (const char* line : {
           "# TYPE edgent_requests_total counter\n",
           "edgent_requests_total{status=\"200\"} 2\n",
           "edgent_requests_total{status=\"413\"} 1\n",
           "# TYPE edgent_request_duration_seconds histogram\n",
           "edgent_request_duration_seconds_bucket{le=\"0.0025\"} 0\n",
           "edgent_request_duration_seconds_bucket{le=\"0.005\"} 1\n",
           "edgent_request_duration_seconds_bucket{le=\"0.25\"} 2\n",
           "edgent_request_duration_seconds_bucket{le=\"2.5\"} 2\n",
           "edgent_request_duration_seconds_bucket{le=\"+Inf\"} 3\n",
           "edgent_request_duration_seconds_sum 3.203\n",
           "edgent_request_duration_seconds_count 3\n",
           "edgent_inflight_requests 1\n",
           "edgent_open_connections 3\n",
           "edgent_received_bytes_total 111\n",
           "edgent_sent_bytes_total 57\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  }
}

TEST(ServerMetrics, LoadHasTheQuantilesOfTheRecentRequests) {
  ServerMetrics m;
  EXPECT_FALSE(m.load().queue_ms.has_value());
  m.add_queued(2);
  m.add_queued(-1);
  m.add_inflight(3);
  m.add_connections(4);
  for (int i = 1; i <= 101; ++i) {
    m.record_timing(i, 1000.0 + i);
  }
  ServerLoad load = m.load();
  EXPECT_EQ(load.queued, 1);
  EXPECT_EQ(load.inflight, 3);
  EXPECT_EQ(load.connections, 4);
  EXPECT_EQ(load.samples, 101u);
  ASSERT_TRUE(load.queue_ms && load.service_ms);
  EXPECT_DOUBLE_EQ(load.queue_ms->p50, 51.0);
  EXPECT_DOUBLE_EQ(load.queue_ms->p95, 96.0);
  EXPECT_DOUBLE_EQ(load.queue_ms->p99, 100.0);
  EXPECT_DOUBLE_EQ(load.service_ms->p50, 1051.0);
  EXPECT_NE(m.render().find("edgent_queued_requests 1\n"), std::string::npos);

  // Only the most recent requests count: older ones drop out of the window.
  for (std::size_t i = 0; i < ServerMetrics::kRecentRequests; ++i) {
    m.record_timing(7.0, 9.0);
  }
  load = m.load();
  EXPECT_EQ(load.samples, ServerMetrics::kRecentRequests);
  EXPECT_DOUBLE_EQ(load.queue_ms->p99, 7.0);
  EXPECT_DOUBLE_EQ(load.service_ms->p50, 9.0);
}

} // namespace
} // namespace edgent::net
