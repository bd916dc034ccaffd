#include "blocklist/report_reader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <sys/stat.h>

#include <fmt/format.h>

#include "core/status.hpp"
#include "report/report.hpp"

namespace tattle::blocklist {

namespace od = simdjson::ondemand;

namespace {

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

absl::Status read_error(std::string_view path) {
  return absl::NotFoundError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
}

// Pipes and standard input have no size to ask for: they are read in chunks, then copied into
// padded memory.
absl::StatusOr<simdjson::padded_string> load_stream(std::FILE* f, std::string_view path) {
  std::string text;
  char chunk[1 << 16];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
  if (std::ferror(f)) return read_error(path);
  simdjson::padded_string padded(text);
  if (padded.data() == nullptr && !text.empty())
    return absl::ResourceExhaustedError(fmt::format("{}: out of memory", path));
  return padded;
}

// Reads the report and reports where it went wrong.
class Reader {
 public:
  Reader(std::string_view label, simdjson::padded_string_view json) : label_(label), json_(json) {}

  absl::Status run(absl::FunctionRef<void(const Destination&)> on_destination) {
    if (json_.size() > parser_.max_capacity())
      return fail(fmt::format("too large for simdjson ({} bytes at most)", parser_.max_capacity()));
    if (const auto e = parser_.iterate(json_).get(doc_)) return damaged(e);
    iterating_ = true;
    od::object root;
    if (const auto e = doc_.get_object().get(root)) return not_report("it is not a JSON object", e);
    bool first = true;
    bool have_destinations = false;
    for (auto field : root) {
      std::string_view key;
      if (const auto e = field.unescaped_key().get(key)) return damaged(e);
      if (first) {
        const std::string why = fmt::format("its first member is not \"schema\": \"{}\"", report::kSchema);
        if (key != "schema") return not_report(why);
        std::string_view schema;
        if (const auto e = field.value().get_string().get(schema)) return not_report(why, e);
        if (schema != report::kSchema) return not_report(why);
        first = false;
        continue;
      }
      if (key != "destinations") continue;  // On-Demand skips the value when the loop moves on
      od::array items;
      if (const auto e = field.value().get_array().get(items)) return wrong_type("\"destinations\"", "an array", e);
      TATTLE_RETURN_IF_ERROR(read_items(items, on_destination));
      have_destinations = true;
    }
    if (first) return not_report("it is an empty object");
    if (!have_destinations)
      return fail("the report has no \"destinations\" (it was made by a tattle older than the blocklist command)");
    // After the root object only whitespace may follow; a location still in bounds is trailing text.
    if (doc_.current_location().error() == simdjson::SUCCESS) return damaged(simdjson::TRAILING_CONTENT);
    return absl::OkStatus();
  }

 private:
  absl::Status read_items(od::array& items, absl::FunctionRef<void(const Destination&)> on_destination) {
    std::size_t index = 0;
    for (auto item : items) {
      od::object object;
      if (const auto e = item.get_object().get(object))
        return wrong_type(fmt::format("destinations[{}]", index), "an object", e);
      dest_.clear();
      for (auto field : object) {
        std::string_view key;
        if (const auto e = field.unescaped_key().get(key)) return damaged(e);
        od::value value;
        if (const auto e = field.value().get(value)) return damaged(e);
        const auto error = read_field(key, value);
        if (error != simdjson::SUCCESS) {
          const std::string what = fmt::format("destinations[{}].{}", index, key);
          return wrong_type(what, expected_type(key), error);
        }
      }
      on_destination(dest_);
      ++index;
    }
    return absl::OkStatus();
  }

  // The fields a selection needs; any other is skipped, whatever its type.
  simdjson::error_code read_field(std::string_view key, od::value& v) {
    if (key == "ip") return string_or_null(v, dest_.ip);
    if (key == "names") return strings(v, dest_.names);
    if (key == "front_names") return strings(v, dest_.front_names);
    if (key == "asn") return number_or_null(v, dest_.asn);
    if (key == "country") return string_or_null(v, dest_.country);
    if (key == "owner") return string_or_null(v, dest_.owner);
    if (key == "owner_parent") return string_or_null(v, dest_.owner_parent);
    if (key == "jurisdictions") return strings(v, dest_.jurisdictions);
    if (key == "tags") return strings(v, dest_.tags);
    if (key == "front") return string_or_null(v, dest_.front);
    return simdjson::SUCCESS;
  }

  static std::string_view expected_type(std::string_view key) {
    if (key == "names" || key == "front_names" || key == "jurisdictions" || key == "tags") return "an array of strings";
    if (key == "asn") return "a number or null";
    return "a string or null";
  }

  static simdjson::error_code string_or_null(od::value& v, std::string_view& out) {
    od::json_type type;
    if (const auto e = v.type().get(type)) return e;
    if (type == od::json_type::null) {
      out = {};
      return simdjson::SUCCESS;
    }
    return v.get_string().get(out);
  }

  static simdjson::error_code number_or_null(od::value& v, std::optional<std::uint64_t>& out) {
    od::json_type type;
    if (const auto e = v.type().get(type)) return e;
    out.reset();
    if (type == od::json_type::null) return simdjson::SUCCESS;
    std::uint64_t n;
    if (const auto e = v.get_uint64().get(n)) return e;
    out = n;
    return simdjson::SUCCESS;
  }

  // An array of strings; null counts as empty.
  static simdjson::error_code strings(od::value& v, std::vector<std::string_view>& out) {
    od::json_type type;
    if (const auto e = v.type().get(type)) return e;
    out.clear();
    if (type == od::json_type::null) return simdjson::SUCCESS;
    od::array items;
    if (const auto e = v.get_array().get(items)) return e;
    for (auto item : items) {
      std::string_view s;
      if (const auto e = item.get_string().get(s)) return e;
      out.push_back(s);
    }
    return simdjson::SUCCESS;
  }

  // " near byte N", where the parser stands in the report; empty before it stands anywhere (the
  // first pass over the text, which finds unclosed strings and bad UTF-8, tells no position).
  std::string where() {
    if (!iterating_) return "";
    const char* at = nullptr;
    if (doc_.current_location().get(at) != simdjson::SUCCESS || at == nullptr)
      return fmt::format(" near byte {}", json_.size());
    return fmt::format(" near byte {}", at - json_.data());
  }

  absl::Status fail(std::string_view what) { return absl::InvalidArgumentError(fmt::format("{}: {}", label_, what)); }
  absl::Status damaged(simdjson::error_code e) {
    return absl::DataLossError(
        fmt::format("{}: damaged JSON{}: {}", label_, where(), simdjson::error_message(e)));
  }
  absl::Status not_report(std::string_view why, simdjson::error_code e = simdjson::SUCCESS) {
    // A syntax error is damage, whatever the document would have been.
    if (e != simdjson::SUCCESS && e != simdjson::INCORRECT_TYPE) return damaged(e);
    return fail(fmt::format("not a tattle report: {}", why));
  }
  absl::Status wrong_type(std::string_view what, std::string_view expected, simdjson::error_code e) {
    if (e != simdjson::INCORRECT_TYPE && e != simdjson::NUMBER_OUT_OF_RANGE && e != simdjson::NUMBER_ERROR)
      return damaged(e);
    return absl::DataLossError(
        fmt::format("{}: {}{} is not {}", label_, what, where(), expected));
  }

  std::string_view label_;
  simdjson::padded_string_view json_;
  od::parser parser_;
  od::document doc_;
  bool iterating_ = false;  // doc_ is set
  Destination dest_;  // reused: its vectors keep their capacity from one destination to the next
};

}  // namespace

absl::StatusOr<simdjson::padded_string> load_report(const std::string& path) {
  if (path == "-") return load_stream(stdin, "standard input");
  std::unique_ptr<std::FILE, CloseFile> f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) return read_error(path);
  struct stat st {};
  if (::fstat(fileno(f.get()), &st) != 0) return read_error(path);
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return read_error(path);
  }
  if (!S_ISREG(st.st_mode)) return load_stream(f.get(), path);  // a pipe, a FIFO, a device
  simdjson::padded_string text(static_cast<std::size_t>(st.st_size));
  if (text.data() == nullptr && st.st_size > 0)
    return absl::ResourceExhaustedError(fmt::format("{}: out of memory", path));
  if (std::fread(text.data(), 1, text.size(), f.get()) != text.size()) {
    if (std::ferror(f.get())) return read_error(path);
    return absl::DataLossError(fmt::format("{}: the file shrank while it was read", path));
  }
  return text;
}

absl::Status read_destinations(std::string_view label, simdjson::padded_string_view json,
                               absl::FunctionRef<void(const Destination&)> on_destination) {
  Reader reader(label, json);
  return reader.run(on_destination);
}

}  // namespace tattle::blocklist
