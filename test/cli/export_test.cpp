// Tests of `modhost export` (src/cli/export.hpp): the rendered systemd and supervisord files, and
// the built tool writing them, checked by systemd-analyze verify (where it runs) and by an INI
// parse of the supervisord file.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "cli/export.hpp"
#include "cli/strings.hpp"
#include "tool_runner.hpp"

#ifndef _WIN32
#include <stdlib.h>
#include <unistd.h>

#include "temp_dir.hpp"
#endif

namespace modhost::cli::test {
namespace {

ExportSpec sample_spec() {
  ExportSpec spec;
  spec.app = "demo";
  spec.root = "/srv/demo";
  spec.timeout = std::chrono::milliseconds(2500);
  spec.env.set("QUOTE", "say \"hi\" 100% of $HOME");
  spec.env.set("MULTI", "a\nb");
  Procfile procfile;
  procfile.entries.push_back({"web", "serve --port $PORT", 1});
  procfile.entries.push_back({"worker", "work; echo done", 2});
  Formation formation;
  formation.counts.push_back({"web", 2});
  Result<std::vector<InstancePlan>> plan = plan_instances(procfile, formation, {}, 5000);
  EXPECT_TRUE(plan.ok());
  if (plan.ok()) spec.plan = *plan;
  return spec;
}

const ExportFile* find_file(const std::vector<ExportFile>& files, const std::string& name) {
  for (const ExportFile& f : files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool has_line(const std::string& text, const std::string& line) {
  bool found = false;
  for_each_line(text, [&](std::string_view l) {
    found = l == line;
    return !found;
  });
  return found;
}

TEST(Export, SystemdTargetAndOneUnitPerInstance) {
  std::vector<ExportFile> files = export_systemd(sample_spec());
  ASSERT_EQ(files.size(), 4u);
  const ExportFile* target = find_file(files, "demo.target");
  ASSERT_NE(target, nullptr);
  EXPECT_TRUE(has_line(target->text,
                       "Wants=demo-web.1.service demo-web.2.service demo-worker.1.service"))
      << target->text;
  EXPECT_TRUE(has_line(target->text, "WantedBy=multi-user.target")) << target->text;
  const ExportFile* web2 = find_file(files, "demo-web.2.service");
  ASSERT_NE(web2, nullptr);
  const std::string& t = web2->text;
  EXPECT_TRUE(has_line(t, "PartOf=demo.target")) << t;
  EXPECT_TRUE(has_line(t, "WorkingDirectory=/srv/demo")) << t;
  EXPECT_TRUE(has_line(t, "Environment=\"PORT=5001\"")) << t;
  EXPECT_TRUE(has_line(t, "Environment=\"PS=web.2\"")) << t;
  // systemd's quoting: backslash escapes, %% for a percent sign, \n for a line break.
  EXPECT_TRUE(has_line(t, "Environment=\"QUOTE=say \\\"hi\\\" 100%% of $HOME\"")) << t;
  EXPECT_TRUE(has_line(t, "Environment=\"MULTI=a\\nb\"")) << t;
  EXPECT_TRUE(has_line(t, "ExecStart=/bin/sh \"-c\" \"exec serve --port $$PORT\"")) << t;
  EXPECT_TRUE(has_line(t, "KillMode=control-group")) << t;
  EXPECT_TRUE(has_line(t, "TimeoutStopSec=2500ms")) << t;
  EXPECT_FALSE(has_line(t, "User=root")) << t;
  const ExportFile* worker = find_file(files, "demo-worker.1.service");
  ASSERT_NE(worker, nullptr);
  EXPECT_TRUE(has_line(worker->text, "Environment=\"PORT=5100\"")) << worker->text;
  EXPECT_TRUE(has_line(worker->text, "ExecStart=/bin/sh \"-c\" \"work; echo done\""))
      << worker->text;
}

// A minimal INI reader with Python configparser's rules as supervisord uses them: sections in
// brackets, `key=value` or `key: value`, `;` and `#` comments; a duplicate section or key, or any
// other line, is an error (returned as a message).
using Ini = std::map<std::string, std::map<std::string, std::string>>;
std::string parse_ini(const std::string& text, Ini& ini) {
  std::string section;
  std::size_t number = 0;
  std::string error;
  for_each_line(text, [&](std::string_view raw) {
    ++number;
    std::string_view l = trim(raw);
    if (l.empty() || l.front() == ';' || l.front() == '#') return true;
    if (l.front() == '[') {
      if (l.back() != ']') error = "line " + std::to_string(number) + ": bad section";
      section = std::string(l.substr(1, l.size() - 2));
      if (ini.count(section) != 0) error = "line " + std::to_string(number) + ": duplicate section";
      ini[section];
      return error.empty();
    }
    std::size_t eq = l.find_first_of("=:");
    if (section.empty() || eq == std::string_view::npos || eq == 0) {
      error = "line " + std::to_string(number) + ": not a key=value line: " + std::string(l);
      return false;
    }
    std::string key(trim(l.substr(0, eq)));
    if (ini[section].count(key) != 0) {
      error = "line " + std::to_string(number) + ": duplicate key " + key;
      return false;
    }
    ini[section][key] = std::string(trim(l.substr(eq + 1)));
    return true;
  });
  return error;
}

TEST(Export, SupervisordProgramsAndGroupParseAsIni) {
  ExportSpec spec = sample_spec();
  EXPECT_FALSE(export_supervisord(spec).ok());  // MULTI has a line break
  spec.env.set("MULTI", "one line");
  spec.user = "deploy";
  Result<std::vector<ExportFile>> files = export_supervisord(spec);
  ASSERT_TRUE(files.ok()) << files.error().message();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].name, "demo.conf");
  Ini ini;
  std::string error = parse_ini((*files)[0].text, ini);
  ASSERT_EQ(error, "") << (*files)[0].text;
  EXPECT_EQ(ini["group:demo"]["programs"], "demo-web-1,demo-web-2,demo-worker-1");
  auto& web2 = ini["program:demo-web-2"];
  EXPECT_EQ(web2["command"], "/bin/sh \"-c\" \"exec serve --port $PORT\"");
  EXPECT_EQ(web2["directory"], "/srv/demo");
  EXPECT_EQ(web2["environment"],
            "QUOTE=\"say \\\"hi\\\" 100%% of $HOME\",MULTI=\"one line\","
            "PORT=\"5001\",PS=\"web.2\"");
  EXPECT_EQ(web2["user"], "deploy");
  EXPECT_EQ(web2["stopsignal"], "TERM");
  EXPECT_EQ(web2["stopwaitsecs"], "3");  // 2.5 s, rounded up to whole seconds
  EXPECT_EQ(web2["stopasgroup"], "true");
  EXPECT_EQ(web2["killasgroup"], "true");
  EXPECT_EQ(web2["stdout_logfile"], "/var/log/demo/web-2.out.log");
}

TEST(Export, DefaultAppName) {
  EXPECT_EQ(default_app_name("/srv/my app/"), "my-app");
  EXPECT_EQ(default_app_name("/"), "app");
  EXPECT_EQ(default_app_name("C:\\code\\shop"), "shop");
}

#ifndef _WIN32  // The tool's runs below use mkdtemp and the POSIX service managers' tools.

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `program args...` to its end; nullopt when it cannot be started.
std::optional<Output> run_to_end(const std::string& program, std::vector<std::string> args) {
  SpawnOptions so;
  so.program = program;
  so.args = std::move(args);
  so.stdout_mode = Stdio::Pipe;
  so.stderr_mode = Stdio::Pipe;
  Result<ChildProcess> c = ChildProcess::spawn(so);
  if (!c) return std::nullopt;
  Result<Output> out = c->output();
  if (!out) return std::nullopt;
  return *out;
}

TEST(ToolExport, SystemdUnitsPassSystemdAnalyzeVerify) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ToolRun run({"export", "systemd", dir.path(), "-f", fixture("env/Procfile"), "-a", "demo", "-m",
               "show=2", "-p", "6000", "-t", "3", "-u", "root", "-l", dir.path()});
  auto st = run.finish();
  ASSERT_TRUE(st);
  ASSERT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
  const std::vector<std::string> names = {"demo.target", "demo-show.1.service",
                                          "demo-show.2.service"};
  std::vector<std::string> paths;
  for (const std::string& n : names) {
    paths.push_back(dir.file(n));
    EXPECT_TRUE(run.wait_stdout_line("wrote " + paths.back())) << run.stdout_text();
  }
  std::string unit = read_file(paths[2]);
  EXPECT_TRUE(has_line(unit, "Environment=\"PORT=6001\"")) << unit;
  EXPECT_TRUE(has_line(unit, "Environment=\"PS=show.2\"")) << unit;
  EXPECT_TRUE(has_line(unit, "Environment=\"A=from-dotenv\"")) << unit;
  EXPECT_TRUE(has_line(unit, "WorkingDirectory=" + std::string(MODHOST_SOURCE_DIR) +
                                 "/test/cli/fixtures/env"))
      << unit;
  EXPECT_TRUE(has_line(unit, "KillMode=control-group")) << unit;
  EXPECT_TRUE(has_line(unit, "TimeoutStopSec=3000ms")) << unit;
  EXPECT_TRUE(has_line(unit, "StandardOutput=append:" + dir.path() + "/show.2.log")) << unit;

  std::optional<Output> version = run_to_end("systemd-analyze", {"--version"});
  if (!version || !version->status.success()) {
    GTEST_SKIP() << "systemd-analyze cannot run here, so the units were not verified by it";
  }
  std::vector<std::string> args = {"verify"};
  args.insert(args.end(), paths.begin(), paths.end());
  std::optional<Output> verify = run_to_end("systemd-analyze", args);
  ASSERT_TRUE(verify);
  EXPECT_TRUE(verify->status.success()) << verify->stdout_data << verify->stderr_data;
  // Unknown keys and bad values are only warned about: any output is a defect.
  EXPECT_EQ(verify->stdout_data + verify->stderr_data, "");
}

TEST(ToolExport, SupervisordFileParsesAsIni) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ToolRun run({"export", "supervisord", dir.path(), "-f", fixture("env/Procfile"), "-l",
               "/var/log/x", "-t", "1"});
  auto st = run.finish();
  ASSERT_TRUE(st);
  ASSERT_EQ(*st, ExitStatus::exited(0)) << run.stderr_text();
  std::string text = read_file(dir.file("env.conf"));  // -a defaults to the root's name
  Ini ini;
  ASSERT_EQ(parse_ini(text, ini), "") << text;
  EXPECT_EQ(ini["group:env"]["programs"], "env-show-1");
  auto& show = ini["program:env-show-1"];
  EXPECT_EQ(show["environment"], "A=\"from-dotenv\",B=\"from-dotenv\",D=\"-expanded\","
                                 "PORT=\"5000\",PS=\"show.1\"");
  EXPECT_EQ(show["directory"], std::string(MODHOST_SOURCE_DIR) + "/test/cli/fixtures/env");
  EXPECT_EQ(show["stopwaitsecs"], "1");
  EXPECT_EQ(show["stdout_logfile"], "/var/log/x/show-1.out.log");
}

TEST(ToolExport, UnknownFormatAndMissingFolderFail) {
  ToolRun unknown({"export", "upstart", "/tmp", "-f", fixture("env/Procfile")});
  auto st = unknown.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_NE(unknown.stderr_text().find("unknown export format \"upstart\""), std::string::npos)
      << unknown.stderr_text();
  ToolRun missing({"export", "systemd", "/no/such/dir", "-f", fixture("env/Procfile")});
  st = missing.finish();
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, ExitStatus::exited(1));
  EXPECT_NE(missing.stderr_text().find("cannot write /no/such/dir/env.target: No such file"),
            std::string::npos)
      << missing.stderr_text();
}

#endif  // _WIN32

}  // namespace
}  // namespace modhost::cli::test
