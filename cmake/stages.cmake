# The library's stages, lowest first, and the stages each one uses (includes and links). A stage
# may use only stages listed before it: lib/CMakeLists.txt checks this at configure time.
#   core     errors, artifacts, files, logging, statistics
#   cli      options shared by the tools
#   data     datasets, bandwidth traces
#   emulate  slow-device emulation (time dilation, CPU quota)
#   model    ONNX graphs, partitions into units, model cards, segment runner
#   net      tensor wire format, HTTP server and client, link emulation, bandwidth estimate
#   profile  measuring units, chains, requests, codecs and the synthetic sweep
#   regress  per-layer-type latency regressions (edgent-fit)
#   plan     latency model and planner (edgent-plan)
#   dynamic  change points, configuration map (edgent-mapbuild)
#   eval     accuracy tables (edgent-eval)
#   runtime  edge server and device runtime (edgent-serve, edgent-infer)
#   train    libtorch training (edgent-train)
set(EDGENT_STAGES core cli data emulate model net profile regress plan dynamic eval runtime train)
set(EDGENT_DEPS_core "")
set(EDGENT_DEPS_cli core)
set(EDGENT_DEPS_data core)
set(EDGENT_DEPS_emulate core)
set(EDGENT_DEPS_model core)
set(EDGENT_DEPS_net core cli data)
set(EDGENT_DEPS_profile core data emulate model net)
set(EDGENT_DEPS_regress core model profile)
set(EDGENT_DEPS_plan core cli data model net profile regress)
set(EDGENT_DEPS_dynamic core data plan)
set(EDGENT_DEPS_eval core data model net)
set(EDGENT_DEPS_runtime core data emulate model net plan dynamic)
set(EDGENT_DEPS_train core data model)

