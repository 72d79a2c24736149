// SPDX-License-Identifier: MIT
// braidc's command line, run as a process: exit codes, messages, outputs,
// depfiles, compile-command and resource-dir discovery. Each test works in
// its own scratch folder.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A fresh, empty folder for one test.
fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(CLI_SCRATCH) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// A fresh folder outside the build tree (whose compile_commands.json a
/// search upward from the scratch folders would find), removed at scope exit.
struct outside_dir {
  fs::path path;
  explicit outside_dir(const std::string& name)
      : path(fs::temp_directory_path() / ("braidc-cli-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~outside_dir() { fs::remove_all(path); }
};

/// Runs braidc with `args` in `cwd`; stdout and stderr are captured.
run_result braidc(const std::vector<std::string>& args, const fs::path& cwd) {
  fs::path out = cwd / ".braidc.out";
  fs::path err = cwd / ".braidc.err";
  std::string cmd = "cd " + quote(cwd.string()) + " && " + quote(BRAIDC_PATH);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(out.string()) + " 2>" + quote(err.string());
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

/// Copies the annotated input (and its helper header) into `dir`.
fs::path stage_hello(const fs::path& dir) {
  fs::create_directories(dir);
  fs::copy_file(fs::path(CLI_INPUTS) / "hello.cpp", dir / "hello.cpp");
  fs::copy_file(fs::path(CLI_INPUTS) / "hello_helper.h", dir / "hello_helper.h");
  return dir / "hello.cpp";
}

/// The flags after "--" that make hello.cpp parse.
std::vector<std::string> with_flags(std::vector<std::string> args) {
  args.insert(args.end(), {"--", "-std=c++20", "-I" BRAID_RUNTIME_INCLUDE});
  return args;
}

/// Files in `dir` other than the ones a test put there itself.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    names.push_back(fs::relative(e.path(), dir).string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_SUITE("braidc cli") {
  // ---- usage errors: exit 2, CLI11's message ------------------------------

  TEST_CASE("an unknown option is a usage error with CLI11's message") {
    fs::path dir = scratch("unknown_option");
    run_result r = braidc({"--no-such-option", "x.cpp"}, dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("The following argument was not expected: --no-such-option") !=
          std::string::npos);
    CHECK(r.err.find("Run with --help for more information.") != std::string::npos);
    CHECK(r.out.empty());
  }

  TEST_CASE("a command line without sources is a usage error") {
    fs::path dir = scratch("no_sources");
    run_result r = braidc({}, dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("sources is required") != std::string::npos);
  }

  TEST_CASE("-o with two sources is a usage error that points to --out-dir") {
    fs::path dir = scratch("o_two_sources");
    run_result r = braidc({"a.cpp", "b.cpp", "-o", "x.cpp"}, dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("-o names one output but 2 sources were given; use --out-dir <dir> for "
                     "several") != std::string::npos);
  }

  TEST_CASE("an unknown dump format is a usage error listing the formats") {
    fs::path dir = scratch("bad_dump");
    run_result r = braidc({"x.cpp", "--dump-partitions=xml"}, dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("xml not in {text,json,dot}") != std::string::npos);
  }

  TEST_CASE("-p naming a folder without a compilation database is a usage error") {
    outside_dir tmp("p-without-db");
    fs::path src = stage_hello(tmp.path);
    fs::create_directories(tmp.path / "build");
    run_result r = braidc({"-p", "build", src.string()}, tmp.path);
    CHECK(r.code == 2);
    CHECK(r.err.find("no compile_commands.json there or in a parent folder") !=
          std::string::npos);
  }

  TEST_CASE("a source without any compile command is a usage error that says how to give one") {
    outside_dir tmp("no-db");
    fs::path src = stage_hello(tmp.path);
    run_result r = braidc({src.string()}, tmp.path);
    CHECK(r.code == 2);
    CHECK(r.err.find("pass -p <build dir> or the compile flags after '--'") != std::string::npos);
  }

  TEST_CASE("two sources that map to one --out-dir output are a usage error") {
    fs::path dir = scratch("out_dir_clash");
    stage_hello(dir / "a");
    stage_hello(dir / "b");
    run_result r = braidc(with_flags({"a/hello.cpp", "b/hello.cpp", "--out-dir", "gen"}), dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("a/hello.cpp and b/hello.cpp would both be written to gen/hello.braid.cpp") !=
          std::string::npos);
    CHECK(!fs::exists(dir / "gen"));
  }

  TEST_CASE("--version prints braidc's and clang's versions") {
    fs::path dir = scratch("version");
    run_result r = braidc({"--version"}, dir);
    CHECK(r.code == 0);
    CHECK(r.out.rfind("braidc ", 0) == 0);
    CHECK(r.out.find("clang version 19") != std::string::npos);
  }

  // ---- user errors: exit 1, clang's diagnostics ----------------------------

  TEST_CASE("a source that does not parse exits 1 with a clang diagnostic at file:line:col") {
    fs::path dir = scratch("broken");
    fs::copy_file(fs::path(CLI_INPUTS) / "broken.cpp", dir / "broken.cpp");
    run_result r = braidc({"broken.cpp", "--", "-std=c++20"}, dir);
    CHECK(r.code == 1);
    CHECK(std::regex_search(r.err, std::regex(R"(broken\.cpp:4:14: error: expected expression)")));
    CHECK(r.err.find("^") != std::string::npos);  // the caret line
    CHECK(listing(dir) == std::vector<std::string>{"broken.cpp"});
  }

  TEST_CASE("a compile argument clang rejects is an error unless --removed-arg drops it") {
    fs::path dir = scratch("removed_arg");
    stage_hello(dir);
    // As a compile database from a g++ build would have them.
    std::vector<std::string> gcc_command = {"--", "-std=c++20", "-I" BRAID_RUNTIME_INCLUDE,
                                            "-fno-such-gcc-flag", "-fsuch=3"};
    std::vector<std::string> args = {"hello.cpp", "--stdout"};
    args.insert(args.end(), gcc_command.begin(), gcc_command.end());
    run_result rejected = braidc(args, dir);
    CHECK(rejected.code == 1);
    CHECK(rejected.err.find("error: unknown argument: '-fno-such-gcc-flag'") != std::string::npos);
    CHECK(rejected.out.empty());
    args = {"hello.cpp", "--stdout", "-v", "--removed-arg", "-fno-such-gcc-flag",
            "--removed-arg=-fsuch="};
    args.insert(args.end(), gcc_command.begin(), gcc_command.end());
    run_result r = braidc(args, dir);
    CHECK(r.code == 0);
    CHECK(r.err.find("-fno-such-gcc-flag") == std::string::npos);
    CHECK(r.err.find("-fsuch=") == std::string::npos);
  }

  TEST_CASE("--extra-arg-before and --extra-arg surround the command's own flags") {
    fs::path dir = scratch("extra_args");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp", "--stdout", "-v", "--extra-arg-before",
                                      "-DBEFORE=1", "--extra-arg", "-DAFTER=1"}),
                          dir);
    auto before = r.err.find("-DBEFORE=1");
    auto own = r.err.find("-std=c++20");
    auto after = r.err.find("-DAFTER=1");
    REQUIRE(before != std::string::npos);
    REQUIRE(own != std::string::npos);
    REQUIRE(after != std::string::npos);
    CHECK(before < own);
    CHECK(own < after);
    CHECK(r.err.find("-DBRAID_ANALYZING=1") != std::string::npos);
  }

  TEST_CASE("a missing source is a user error") {
    fs::path dir = scratch("missing_source");
    run_result r = braidc({"missing.cpp", "--", "-std=c++20"}, dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("no such file: missing.cpp") != std::string::npos);
  }

  TEST_CASE("a failing run writes nothing and removes a stale output and depfile") {
    fs::path dir = scratch("stale");
    fs::copy_file(fs::path(CLI_INPUTS) / "broken.cpp", dir / "broken.cpp");
    write_file(dir / "broken.braid.cpp", "stale output of an earlier run\n");
    write_file(dir / "broken.d", "stale depfile\n");
    run_result r = braidc({"broken.cpp", "-o", "broken.braid.cpp", "--depfile", "broken.d",
                           "--", "-std=c++20"},
                          dir);
    CHECK(r.code == 1);
    // No output, no depfile, no temporary file left behind.
    CHECK(listing(dir) == std::vector<std::string>{"broken.cpp"});
  }

  // ---- success paths (need the transformation) -----------------------------

  TEST_CASE("--stdout prints the generated code and writes no file") {
    fs::path dir = scratch("stdout");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp", "--stdout"}), dir);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("twice_plus") != std::string::npos);
    CHECK(listing(dir) == std::vector<std::string>{"hello.cpp", "hello_helper.h"});
  }

  TEST_CASE("-o writes the generated code to the named file") {
    fs::path dir = scratch("dash_o");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp", "-o", "gen/out.cpp"}), dir);
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    REQUIRE(fs::exists(dir / "gen/out.cpp"));
    std::string code = read_file(dir / "gen/out.cpp");
    CHECK(code.find("twice_plus") != std::string::npos);
    CHECK(listing(dir) ==
          std::vector<std::string>{"gen", "gen/out.cpp", "hello.cpp", "hello_helper.h"});
  }

  TEST_CASE("without -o the output is written beside the source as x.braid.cpp") {
    fs::path dir = scratch("beside");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp"}), dir);
    CHECK(r.code == 0);
    CHECK(fs::exists(dir / "hello.braid.cpp"));
  }

  TEST_CASE("--out-dir names each output after its source") {
    fs::path dir = scratch("out_dir");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp", "--out-dir", "gen"}), dir);
    CHECK(r.code == 0);
    CHECK(fs::exists(dir / "gen/hello.braid.cpp"));
  }

  TEST_CASE("the same input gives byte-identical output") {
    fs::path dir = scratch("deterministic");
    stage_hello(dir);
    // The output's own name is part of its text (#line directives back into
    // it), so both runs write the same path.
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp"}), dir).code == 0);
    std::string first = read_file(dir / "out.cpp");
    fs::remove(dir / "out.cpp");
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp"}), dir).code == 0);
    CHECK(!first.empty());
    CHECK(first == read_file(dir / "out.cpp"));
    run_result a = braidc(with_flags({"hello.cpp", "--stdout"}), dir);
    run_result b = braidc(with_flags({"hello.cpp", "--stdout"}), dir);
    CHECK(a.code == 0);
    CHECK(!a.out.empty());
    CHECK(a.out == b.out);
  }

  TEST_CASE("an unchanged output keeps its modification time") {
    fs::path dir = scratch("mtime");
    stage_hello(dir);
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp"}), dir).code == 0);
    // Back-date the output: a rewrite, even of the same bytes, would move
    // its time to now.
    auto old_time = fs::last_write_time(dir / "out.cpp") - std::chrono::hours(1);
    fs::last_write_time(dir / "out.cpp", old_time);
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp"}), dir).code == 0);
    CHECK(fs::last_write_time(dir / "out.cpp") == old_time);
  }

  TEST_CASE("a changed output is replaced") {
    fs::path dir = scratch("replaced");
    stage_hello(dir);
    write_file(dir / "out.cpp", "an older generation\n");
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp"}), dir).code == 0);
    CHECK(read_file(dir / "out.cpp").find("twice_plus") != std::string::npos);
    CHECK(listing(dir) == std::vector<std::string>{"hello.cpp", "hello_helper.h", "out.cpp"});
  }

  TEST_CASE("--depfile lists the output, the included headers and braidc itself") {
    fs::path dir = scratch("depfile");
    stage_hello(dir);
    REQUIRE(braidc(with_flags({"hello.cpp", "-o", "out.cpp", "--depfile", "out.d"}), dir).code ==
            0);
    std::string dep = read_file(dir / "out.d");
    CHECK(dep.rfind("out.cpp:", 0) == 0);
    CHECK(dep.find((dir / "hello.cpp").string()) != std::string::npos);
    CHECK(dep.find((dir / "hello_helper.h").string()) != std::string::npos);
    CHECK(dep.find(std::string(BRAID_RUNTIME_INCLUDE) + "/braid/task.hpp") != std::string::npos);
    CHECK(dep.find("/stddef.h") != std::string::npos);
    CHECK(dep.find(fs::canonical(BRAIDC_PATH).string()) != std::string::npos);
  }

  TEST_CASE("compile_commands.json is found in a parent folder of the source") {
    fs::path dir = scratch("upward");
    fs::create_directories(dir / "src" / "deep");
    fs::path src = stage_hello(dir / "src" / "deep");
    // Without -DFROM_THE_DATABASE the source does not parse.
    std::string text = read_file(src);
    write_file(src, "#ifndef FROM_THE_DATABASE\n#error \"compile_commands.json not used\"\n#endif\n" +
                        text);
    write_file(dir / "compile_commands.json",
               "[{\"directory\": \"" + dir.string() +
                   "\", \"file\": \"" + src.string() +
                   "\", \"command\": \"c++ -std=c++20 -DFROM_THE_DATABASE -I" BRAID_RUNTIME_INCLUDE
                   " -c " + src.string() + "\"}]\n");
    run_result r = braidc({"src/deep/hello.cpp", "--stdout", "-v"}, dir);
    CHECK(r.code == 0);
    CHECK(r.err.find("compile command from the compilation database found above the source") !=
          std::string::npos);
    CHECK(r.err.find("not used") == std::string::npos);
  }

  TEST_CASE("-p reads compile_commands.json from the named build folder") {
    fs::path dir = scratch("dash_p");
    fs::path src = stage_hello(dir / "src");
    fs::create_directories(dir / "build");
    write_file(dir / "build" / "compile_commands.json",
               "[{\"directory\": \"" + (dir / "build").string() + "\", \"file\": \"" +
                   src.string() + "\", \"arguments\": [\"c++\", \"-std=c++20\", \"-I" +
                   BRAID_RUNTIME_INCLUDE + "\", \"-c\", \"" + src.string() + "\"]}]\n");
    run_result r = braidc({"-p", "build", "src/hello.cpp", "--stdout", "-v"}, dir);
    CHECK(r.code == 0);
    CHECK(r.err.find("compile command from -p build") != std::string::npos);
  }

  TEST_CASE("builtin headers are found without a -resource-dir flag") {
    fs::path dir = scratch("resource_dir");
    stage_hello(dir);  // includes <stddef.h> and <cstdint>
    run_result r = braidc(with_flags({"hello.cpp", "--stdout", "-v"}), dir);
    CHECK(r.code == 0);
    CHECK(r.err.find("file not found") == std::string::npos);
    CHECK(r.err.find("braidc: resource dir: ") != std::string::npos);
    CHECK(r.err.find("(not found)") == std::string::npos);
  }

  TEST_CASE("an explicit -resource-dir in the command is kept as the user gave it") {
    fs::path dir = scratch("explicit_resource_dir");
    stage_hello(dir);
    run_result r = braidc(
        with_flags({"hello.cpp", "--stdout", "-v", "--extra-arg=-resource-dir=/nowhere"}), dir);
    CHECK(r.err.find("resource dir: - (from the compile command)") != std::string::npos);
    // The command shown by -v holds the user's flag and no injected one.
    CHECK(r.err.find("-resource-dir=/nowhere") != std::string::npos);
    CHECK(r.err.find("-resource-dir ") == std::string::npos);
  }

  TEST_CASE("--dump-partitions without --dump-file prints the dump on stdout") {
    fs::path dir = scratch("dump_stdout");
    stage_hello(dir);
    run_result r = braidc(with_flags({"hello.cpp", "-o", "out.cpp", "--dump-partitions=json"}), dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("twice_plus") != std::string::npos);
    CHECK(fs::exists(dir / "out.cpp"));
  }

  TEST_CASE("--dump-partitions with --dump-file writes the dump there, not to stdout") {
    fs::path dir = scratch("dump_file");
    stage_hello(dir);
    run_result r = braidc(
        with_flags({"hello.cpp", "-o", "out.cpp", "--dump-partitions=text", "--dump-file",
                    "dump.txt"}),
        dir);
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    CHECK(read_file(dir / "dump.txt").find("twice_plus") != std::string::npos);
  }

  // ---- diagnostics: warnings, formats, fix-its ------------------------------

  TEST_CASE("a warning alone exits 0 and writes the output; -Werror makes it an error") {
    fs::path dir = scratch("warnings");
    fs::copy_file(fs::path(CLI_INPUTS) / "no_park.cpp", dir / "no_park.cpp");
    const std::string warning =
        "no_park.cpp:4:27: warning: BRAID_SP function 'twice' never parks";
    run_result r = braidc(with_flags({"no_park.cpp", "-o", "out.cpp"}), dir);
    CHECK(r.code == 0);
    CHECK(r.err.find(warning) != std::string::npos);
    CHECK(r.err.find("[-Wbraid-sp-without-park]") != std::string::npos);
    CHECK(fs::exists(dir / "out.cpp"));

    r = braidc(with_flags({"-Werror", "no_park.cpp", "-o", "out.cpp"}), dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("no_park.cpp:4:27: error: BRAID_SP function 'twice' never parks") !=
          std::string::npos);
    CHECK(r.err.find("[-Werror,-Wbraid-sp-without-park]") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out.cpp"));  // the stale output is removed

    r = braidc(with_flags({"-Werror", "-Wno-error=braid-sp-without-park", "no_park.cpp"}), dir);
    CHECK(r.code == 0);
    CHECK(r.err.find(warning) != std::string::npos);

    r = braidc(with_flags({"-Werror", "-Wno-braid-sp-without-park", "no_park.cpp", "--stdout"}),
               dir);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("// Generated by braidc") == 0);

    // The compile command's -Werror concerns Clang's warnings only.
    run_result c = braidc({"no_park.cpp", "--stdout", "--", "-std=c++20",
                           "-I" BRAID_RUNTIME_INCLUDE, "-Werror"},
                          dir);
    CHECK(c.code == 0);
    CHECK(c.err.find(warning) != std::string::npos);
  }

  TEST_CASE("an unknown -W name is a usage error listing braidc's warnings") {
    fs::path dir = scratch("unknown_warning");
    run_result r = braidc({"-Wall", "x.cpp"}, dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("braidc: error: -Wall: unknown warning 'all'; braidc's warnings are: "
                     "braid-current-exception-in-parking-handler braid-fork-shared-reference "
                     "braid-lock-across-park braid-sp-without-park (the compiler's -W flags go after '--')") !=
          std::string::npos);
  }

  TEST_CASE("--diagnostics-format=msvc prints file(line,col)") {
    fs::path dir = scratch("msvc_format");
    fs::copy_file(fs::path(CLI_INPUTS) / "fixits.cpp", dir / "fixits.cpp");
    run_result r = braidc(with_flags({"fixits.cpp", "--stdout", "--diagnostics-format=msvc"}), dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("fixits.cpp(6,53): error: braid::park is used outside a BRAID_SP function") !=
          std::string::npos);
    CHECK(r.err.find("fixits.cpp(11,10): error: a BRAID_SP function returns its value") !=
          std::string::npos);
    r = braidc(with_flags({"fixits.cpp", "--stdout", "--diagnostics-format=gcc"}), dir);
    CHECK(r.code == 2);
  }

  TEST_CASE("fix-its print under the caret and as parseable fix-it lines") {
    fs::path dir = scratch("parseable_fixits");
    fs::copy_file(fs::path(CLI_INPUTS) / "fixits.cpp", dir / "fixits.cpp");
    run_result r = braidc(with_flags({"fixits.cpp", "--stdout"}), dir);
    CHECK(r.code == 1);
    CHECK(r.err.find("      | BRAID_SP \n") != std::string::npos);
    CHECK(r.err.find("      |          braid::park( )\n") != std::string::npos);
    CHECK(r.err.find("fix-it:") == std::string::npos);
    r = braidc(with_flags({"fixits.cpp", "--stdout", "--diagnostics-parseable-fixits"}), dir);
    CHECK(r.code == 1);
    std::string file = (dir / "fixits.cpp").string();
    CHECK(r.err.find("fix-it:\"" + file + "\":{6:1-6:1}:\"BRAID_SP \"\n") != std::string::npos);
    CHECK(r.err.find("fix-it:\"" + file + "\":{11:10-11:10}:\"braid::park(\"\n") !=
          std::string::npos);
    CHECK(r.err.find("fix-it:\"" + file + "\":{11:11-11:11}:\")\"\n") != std::string::npos);
  }

  TEST_CASE("--export-fixes writes clang-tidy's YAML, which clang-apply-replacements applies") {
    fs::path dir = scratch("export_fixes");
    fs::copy_file(fs::path(CLI_INPUTS) / "fixits.cpp", dir / "fixits.cpp");
    std::string source = read_file(dir / "fixits.cpp");
    run_result r = braidc(
        with_flags({"fixits.cpp", "--stdout", "--export-fixes=" + (dir / "fixes" / "f.yaml").string()}),
        dir);
    CHECK(r.code == 1);
    std::string file = (dir / "fixits.cpp").string();
    size_t plain = source.find("braid::task<int> plain");
    size_t park = source.find("braid::park(t) + 1");
    size_t ret = source.find("  return t;\n") + 9;  // at t
    std::string want =
        "---\n"
        "MainSourceFile:  '" + file + "'\n"
        "Diagnostics:\n"
        "  - DiagnosticName:  braidc-error\n"
        "    DiagnosticMessage:\n"
        "      Message:         'braid::park is used outside a BRAID_SP function; mark the "
        "enclosing function BRAID_SP (it must return braid::task<T>) or run the task with "
        "run_blocking'\n"
        "      FilePath:        '" + file + "'\n"
        "      FileOffset:      " + std::to_string(park) + "\n"
        "      Replacements:\n"
        "        - FilePath:        '" + file + "'\n"
        "          Offset:          " + std::to_string(plain) + "\n"
        "          Length:          0\n"
        "          ReplacementText: 'BRAID_SP '\n"
        "    Level:           Error\n"
        "    BuildDirectory:  '" + dir.string() + "'\n"
        "  - DiagnosticName:  braidc-error\n"
        "    DiagnosticMessage:\n"
        "      Message:         'a BRAID_SP function returns its value, not a task; write "
        "''return braid::park(...);'' to return the task''s result'\n"
        "      FilePath:        '" + file + "'\n"
        "      FileOffset:      " + std::to_string(ret) + "\n"
        "      Replacements:\n"
        "        - FilePath:        '" + file + "'\n"
        "          Offset:          " + std::to_string(ret) + "\n"
        "          Length:          0\n"
        "          ReplacementText: 'braid::park('\n"
        "        - FilePath:        '" + file + "'\n"
        "          Offset:          " + std::to_string(ret + 1) + "\n"
        "          Length:          0\n"
        "          ReplacementText: ')'\n"
        "    Level:           Error\n"
        "    BuildDirectory:  '" + dir.string() + "'\n"
        "...\n";
    CHECK(read_file(dir / "fixes" / "f.yaml") == want);
#ifdef CLANG_APPLY_REPLACEMENTS
    std::string cmd = std::string(CLANG_APPLY_REPLACEMENTS) + " " + quote((dir / "fixes").string());
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::string fixed = read_file(dir / "fixits.cpp");
    CHECK(fixed.find("BRAID_SP braid::task<int> plain(") != std::string::npos);
    CHECK(fixed.find("  return braid::park(t);\n") != std::string::npos);
    // The fixed source transforms.
    r = braidc(with_flags({"fixits.cpp", "--stdout"}), dir);
    CHECK(r.code == 0);
#endif
  }
}
