#include "runtime/edge_handler.hpp"

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "model/cascade.hpp"
#include "net/tensor_mat.hpp"
#include "net/tensor_wire.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace edgent::runtime {

namespace {

int parse_cut_header(const std::string& value) {
  const auto cut = parse_integer(value, 0, std::numeric_limits<int>::max());
  if (!cut) {
    throw DataError(fmt::format("must be a cut number, got '{}'", value), {}, "X-Edgent-Run-To");
  }
  return static_cast<int>(*cut);
}

} // namespace

EdgeHandler::EdgeHandler(std::shared_ptr<const model::OnnxGraph> graph, unsigned workers,
                         int threads)
    : m_graph(std::move(graph)) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) {
    m_runners.push_back(std::make_unique<model::SegmentRunner>(m_graph, threads));
  }
}

net::InferReply EdgeHandler::infer(std::string_view body, const net::RequestInfo& info) {
  model::SegmentRunner& runner = *m_runners.at(info.worker % m_runners.size());
  // Routing and shape come from the header, and are checked before the payload is touched:
  // the payload is then decoded (and decompressed) into no more than the cut's tensor.
  net::WireHeader header;
  try {
    header = net::decode_header(body);
  } catch (const Error& e) {
    // Whatever the decoder refuses is a malformed request (400), not a server failure.
    throw DataError(e.detail(), "request body", e.key());
  }
  const model::ExitChain& chain = runner.chain(header.exit);
  int to = chain.size();
  if (const std::string* run_to = info.header("x-edgent-run-to")) {
    to = parse_cut_header(*run_to);
  }
  model::check_segment(chain, header.cut, to);
  // A confidence cascade ending at the request's exit: the edge continues from the cut and
  // answers at the first confident exit after it, or at the last.
  std::optional<model::Cascade> cascade;
  model::CascadeLayout layout;
  if (const std::string* text = info.header("x-edgent-cascade")) {
    try {
      cascade = model::parse_cascade(*text, "X-Edgent-Cascade");
      if (cascade->final_exit() != header.exit) {
        throw DataError(fmt::format("the cascade ends at exit {}, the request is for exit {}",
                                    cascade->final_exit(), header.exit),
                        {}, "X-Edgent-Cascade");
      }
      if (info.header("x-edgent-run-to")) {
        throw DataError("a cascade runs to its exits: no X-Edgent-Run-To", {}, "X-Edgent-Cascade");
      }
      layout = model::cascade_layout(runner.partition(), *cascade, "X-Edgent-Cascade");
    } catch (const UsageError& e) {
      throw DataError(e.detail(), {}, "X-Edgent-Cascade");
    } catch (const ConfigError& e) {
      throw DataError(e.detail(), {}, "X-Edgent-Cascade");
    }
  }
  net::CodecSpec reply_codec = net::parse_codec("fp32");
  if (const std::string* codec = info.header("x-edgent-reply-codec")) {
    reply_codec = net::parse_codec(*codec);
  }
  const std::vector<int> want = runner.cut_shape(header.exit, header.cut);
  if (!std::equal(want.begin(), want.end(), header.dims.begin(), header.dims.end(),
                  [](int w, std::uint32_t d) { return static_cast<std::uint32_t>(w) == d; })) {
    throw DataError(fmt::format("exit {} cut {} takes a tensor of shape [{}], the request holds "
                                "[{}]",
                                header.exit, header.cut, fmt::join(want, ", "),
                                fmt::join(header.dims, ", ")),
                    "request body", "dims");
  }
  net::WireTensor in;
  try {
    in = net::decode_tensor(body);
  } catch (const Error& e) {
    throw DataError(e.detail(), "request body", e.key());
  }
  if (!std::all_of(in.values.begin(), in.values.end(), [](float v) { return std::isfinite(v); })) {
    throw DataError("the tensor holds a non-finite value (NaN or infinity)", "request body",
                    "values");
  }
  cv::Mat out;
  int exit = in.exit;
  if (cascade) {
    model::CascadeStep step =
        model::run_cascade_part(runner, *cascade, layout, net::to_mat(in), in.cut, to);
    exit = step.exit;
    to = runner.chain(exit).size();
    out = std::move(step.output);
  } else {
    out = runner.run(in.exit, in.cut, to, net::to_mat(in));
  }
  // A finite input can still overflow inside the model. That is no fault of the request's
  // framing, and no codec can carry the result: say so instead of sending infinities.
  if (!cv::checkRange(out)) {
    throw net::HttpError(422, fmt::format("exit {} cut {}: the model's output overflows for this "
                                          "input (non-finite values): there is no answer to send",
                                          exit, to));
  }
  double lo = 0;
  double hi = 0;
  cv::minMaxIdx(out, &lo, &hi);
  const double largest = std::max(-lo, hi);
  if (reply_codec.base == net::Codec::fp16 && largest > 65504.0) {
    throw net::HttpError(422, fmt::format("exit {} cut {}: the output reaches {:g}, beyond fp16's "
                                          "range (65504): ask for another reply codec",
                                          exit, to, largest));
  }
  net::InferReply reply;
  reply.body = net::encode_mat(out, in.request_id, static_cast<std::uint16_t>(exit),
                               static_cast<std::uint16_t>(to), reply_codec);
  return reply;
}

nlohmann::json EdgeHandler::model_info() const {
  const model::SegmentRunner& runner = *m_runners.front();
  nlohmann::json exits = nlohmann::json::array();
  for (const model::ExitChain& chain : runner.partition().exits) {
    nlohmann::json units = nlohmann::json::array();
    for (const model::Unit& u : chain.units) {
      units.push_back({{"name", u.name}, {"type", std::string(model::unit_type_name(u.type))}});
    }
    exits.push_back({{"exit", chain.exit}, {"output", chain.output}, {"units", units},
                     {"cuts", chain.cut_points()}});
  }
  return {{"sha256", m_graph->sha256()},
          {"file", m_graph->file()},
          {"input", {{"name", m_graph->input_name()}, {"shape", m_graph->require_shape(m_graph->input_name())}}},
          {"exits", exits}};
}

} // namespace edgent::runtime
