// tattle's command line. CLI11 parses; its exceptions stop at this file.
#include <map>

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "app/blocklist_command.hpp"
#include "app/keys_command.hpp"
#include "app/pipeline.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"tattle: what apps tell about their users, to whom, and where it goes"};
  cli.set_version_flag("--version", std::string("tattle ") + TATTLE_VERSION);
  cli.require_subcommand(1);

  tattle::app::AuditOptions audit;
  CLI::App* cmd = cli.add_subcommand("audit", "Audit captures: rebuild every flow and report it");
  cmd->add_option("captures", audit.inputs,
                  "pcap or pcapng files, plain or gzip'd; several are merged by time")
      ->required();
  cmd->add_option("--json", audit.json_path, "Write the report as one JSON document to FILE ('-': stdout)");
  cmd->add_option("--ndjson", audit.ndjson_path, "Stream one JSON flow per line to FILE as flows end ('-': stdout)");
  cmd->add_option("--threads", audit.threads, "Threads: one reads and decodes, the others track flows, sharded by 5-tuple")
      ->check(CLI::Range(1u, 256u));
  cmd->add_flag("-q,--quiet", audit.quiet, "No progress on stderr");
  cmd->add_flag("--flows-only", audit.flows_only,
                "Track flows without looking into their payload: no names, owners, places or DNS log; fastest");
  cmd->add_option("--keylog", audit.keylogs,
                  "TLS/QUIC secrets in SSLKEYLOGFILE format (as SSLKEYLOGFILE or PCAPdroid write them); repeatable")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--include-bodies", audit.include_bodies,
                "Give HTTP messages in --json/--ndjson their header values and bodies (shown as sent: not redacted)");
  cmd->add_option("--policy", audit.policy, "A TOML policy (docs/policy.md); exit status 4 when it is breached");
  cmd->add_option("--keystrokes", audit.keystrokes,
                  "When keys were pressed (getevent -lt/-t, CSV, JSON Lines, `tattle keys record`): find traffic "
                  "sent in step with the typing (docs/keystrokes.md); exit status 4 when some was")
      ->check(CLI::ExistingFile);
  cmd->add_option("--keystroke-device", audit.keystroke_device,
                  "getevent logs: take only this device's events (a /dev/input path or its name)");
  cmd->add_option("--keystroke-offset", audit.keystroke_offset,
                  "Seconds to add to the keystroke log's times to get the capture's (default: estimated)");
  cmd->add_option("--app-map", audit.app_map, "Name the devices behind client addresses: lines of ADDRESS[/PREFIX] NAME");
  cmd->add_option("--entities", audit.entities, "Add an entity catalog file or directory (docs/entities.md); repeatable");
  cmd->add_flag("--no-default-entities", audit.no_default_entities, "Do not load the bundled catalog (data/entities)");
  cmd->add_option("--tag-list", audit.tag_lists, "Tag destinations listed in a hosts or Adblock-style FILE: NAME=FILE; repeatable");
  cmd->add_option("--location-db", audit.location_db, "The IPFire location database to use (default: Debian's libloc-database)");
  cmd->add_option("--mmdb", audit.mmdbs, "Also look addresses up in a MaxMind-format database (country and/or ASN); repeatable");
  cmd->add_option("--color", audit.colour, "Colour in the terminal summary: auto, always or never")
      ->transform(CLI::CheckedTransformer(std::map<std::string, tattle::app::AuditOptions::Colour>{
          {"auto", tattle::app::AuditOptions::Colour::kAuto},
          {"always", tattle::app::AuditOptions::Colour::kAlways},
          {"never", tattle::app::AuditOptions::Colour::kNever}}));

  tattle::app::AuditOptions messages;
  messages.messages = true;
  messages.quiet = true;
  CLI::App* messages_cmd =
      cli.add_subcommand("messages", "Print the HTTP exchanges of captures for reading, like a proxy log");
  messages_cmd->add_option("captures", messages.inputs, "pcap or pcapng files, plain or gzip'd")->required();
  messages_cmd->add_option("--keylog", messages.keylogs, "TLS secrets in SSLKEYLOGFILE format; repeatable")
      ->check(CLI::ExistingFile);
  messages_cmd->add_option("--flow", messages.messages_flow, "Only this flow's exchanges (its id in the report)");
  messages_cmd->add_flag("--bodies", messages.include_bodies,
                         "Show headers and bodies too (as sent: not redacted)");

  tattle::app::BlocklistOptions blocklist;
  CLI::App* blocklist_cmd =
      cli.add_subcommand("blocklist", "Turn a report's destinations into block lists for DNS servers and firewalls");
  tattle::app::add_blocklist_options(*blocklist_cmd, blocklist);

  CLI::App* keys_cmd = cli.add_subcommand("keys", "Keystroke logs for --keystrokes");
  keys_cmd->require_subcommand(1);
  tattle::app::KeysRecordOptions keys_record;
  CLI::App* keys_record_cmd = keys_cmd->add_subcommand(
      "record",
      "Record WHEN keys go down on a Linux input device — key-down times only: no key codes are read into the "
      "output, so what was typed cannot be told from it");
  tattle::app::add_keys_record_options(*keys_record_cmd, keys_record);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? 0 : tattle::app::kExitUsage;
  }
  if (blocklist_cmd->parsed()) return tattle::app::run_blocklist(blocklist);
  if (keys_record_cmd->parsed()) return tattle::app::run_keys_record(keys_record);
  if (messages_cmd->parsed()) return tattle::app::run_audit(messages);
  if (audit.flows_only && !audit.policy.empty()) {
    fmt::print(stderr, "tattle: --policy needs owners and places, which --flows-only leaves out\n");
    return tattle::app::kExitUsage;
  }
  if (audit.flows_only && !audit.keylogs.empty()) {
    fmt::print(stderr, "tattle: --keylog needs the TLS and QUIC handshakes, which --flows-only leaves out\n");
    return tattle::app::kExitUsage;
  }
  if (audit.keystrokes.empty() && (!audit.keystroke_device.empty() || audit.keystroke_offset)) {
    fmt::print(stderr, "tattle: --keystroke-device and --keystroke-offset go with --keystrokes\n");
    return tattle::app::kExitUsage;
  }
  if (audit.json_path == "-" && audit.ndjson_path == "-") {
    fmt::print(stderr, "tattle: --json and --ndjson cannot both write to stdout\n");
    return tattle::app::kExitUsage;
  }
  return tattle::app::run_audit(audit);
}
