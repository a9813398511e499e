// recurrent lsp: the language server over stdin/stdout.
#include "cli/Args.h"
#include "cli/Commands.h"
#include "server/LspServer.h"
#include "server/Transport.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace recurrent::cli {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"stdio", false, "talk LSP over stdin/stdout (the default and only transport)"},
    {"log-file", true, "append logs to FILE instead of stderr", "FILE"},
    {"log-level", true, "trace, debug, info, warn, error or off (default info)", "LEVEL"},
    {"input-style", true, "standard (Content-Length) or delimited (--- between messages, # comments)", "STYLE"},
    {"help", false, "show this help"},
};

} // namespace

int runLsp(int argc, char **argv) {
  auto args = parseArgs(argc, argv, 2, kSpecs);
  if (!args.ok()) {
    std::fprintf(stderr, "recurrent lsp: %s\n", args.error().message.c_str());
    return 2;
  }
  if (args->has("help")) {
    std::printf("usage: recurrent lsp [--stdio] [--log-file FILE] [--log-level LEVEL]\n\n%s",
                describeOptions(kSpecs).c_str());
    return 0;
  }
  std::string levelName = args->getOr("log-level", "info");
  auto level = spdlog::level::from_str(levelName);
  if (level == spdlog::level::off && levelName != "off") {
    std::fprintf(stderr, "recurrent lsp: --log-level: unknown level '%s'\n", levelName.c_str());
    return 2;
  }
  std::string style = args->getOr("input-style", "standard");
  if (style != "standard" && style != "delimited") {
    std::fprintf(stderr, "recurrent lsp: --input-style: expected standard or delimited, got '%s'\n", style.c_str());
    return 2;
  }
  // stdout carries the protocol: logs go to stderr or the file, never stdout.
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (auto file = args->get("log-file"))
      logger = spdlog::basic_logger_mt("recurrent", *file);
    else
      logger = spdlog::stderr_color_mt("recurrent");
  } catch (const spdlog::spdlog_ex &e) {
    std::fprintf(stderr, "recurrent lsp: cannot open the log: %s\n", e.what());
    return 2;
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  std::signal(SIGPIPE, SIG_IGN); // a vanished client is a write error, not a crash

  server::StdioTransport::Options transportOptions;
  transportOptions.style = style == "delimited" ? server::InputStyle::Delimited : server::InputStyle::ContentLength;
  server::StdioTransport transport(STDIN_FILENO, STDOUT_FILENO, transportOptions);
  server::LspServer::Options options;
#ifdef RECURRENT_VERSION
  options.serverVersion = RECURRENT_VERSION;
#endif
  int code = 0;
  {
    // Destroyed before spdlog shuts down: work still queued at exit (a cancelled continuation's reply)
    // logs as it goes.
    server::LspServer server(transport, options);
    spdlog::info("recurrent lsp {} started", options.serverVersion);
    code = server.run();
  }
  spdlog::info("recurrent lsp exits with code {}", code);
  spdlog::shutdown();
  return code;
}

} // namespace recurrent::cli
