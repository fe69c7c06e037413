#include "io/topology_loader.h"

#include <fstream>
#include <sstream>
#include <unordered_set>

#include <yaml-cpp/yaml.h>

#include "io/yaml_util.h"

namespace squall::io {

using detail::yaml_error;

core::Result<std::vector<core::Topology::Entry>> parse_topology(std::string_view text,
                                                                std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return core::make_error(yaml_error(source, e.mark, e.msg));
  }
  std::vector<core::Topology::Entry> entries;
  if (!root || root.IsNull()) return entries;  // an empty file: no topology
  if (!root.IsMap())
    return core::make_error(yaml_error(source, root, "", "expected a mapping with key 'services'"));
  YAML::Node services;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (key == "services") {
      services = kv.second;
    } else {
      return core::make_error(
          yaml_error(source, kv.first, key, "unknown key (expected 'services')"));
    }
  }
  if (!services || services.IsNull()) return entries;
  if (!services.IsMap())
    return core::make_error(
        yaml_error(source, services, "services", "expected a mapping of service names"));

  std::unordered_set<std::string> seen;
  for (const auto& kv : services) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty())
      return core::make_error(
          yaml_error(source, kv.first, "services", "expected a non-empty service name"));
    core::Topology::Entry entry;
    entry.service = kv.first.Scalar();
    const std::string key = "services." + entry.service;
    if (!seen.insert(entry.service).second)
      return core::make_error(yaml_error(source, kv.first, key, "duplicate service"));
    const YAML::Node& body = kv.second;
    if (body.IsMap()) {
      for (const auto& field : body) {
        const std::string name = field.first.IsScalar() ? field.first.Scalar() : "?";
        if (name != "depends_on")
          return core::make_error(yaml_error(source, field.first, detail::join_key(key, name),
                                             "unknown key (expected 'depends_on')"));
        const YAML::Node& deps = field.second;
        const std::string dkey = key + ".depends_on";
        if (deps.IsNull()) continue;
        if (!deps.IsSequence())
          return core::make_error(
              yaml_error(source, deps, dkey, "expected a list of service names"));
        for (const auto& d : deps) {
          if (!d.IsScalar() || d.Scalar().empty())
            return core::make_error(
                yaml_error(source, d, dkey, "expected a list of service names"));
          entry.depends_on.push_back(d.Scalar());
        }
      }
    } else if (!body.IsNull()) {
      return core::make_error(
          yaml_error(source, body, key, "expected a mapping like {depends_on: [a, b]}"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

core::Result<std::vector<core::Topology::Entry>> read_topology(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(path + ": cannot open topology file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return core::make_error(path + ": read error");
  return parse_topology(text.str(), path);
}

core::Result<core::Topology> load_topology(const std::string& path, core::Interner& interner,
                                           int max_hops) {
  auto entries = read_topology(path);
  if (!entries) return tl::unexpected(entries.error());
  return core::Topology::build(*entries, interner, max_hops);
}

}  // namespace squall::io
