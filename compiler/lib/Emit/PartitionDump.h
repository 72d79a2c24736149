//===- PartitionDump.h - render continuation tables (text, JSON, DOT) -----===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_PARTITIONDUMP_H
#define BRAIDC_EMIT_PARTITIONDUMP_H

#include "Emit/Emitter.h"
#include "Lower/Transform.h"

#include <string>
#include <vector>

namespace braidc {

/// What a dump shows of one function.
struct DumpedFunction {
  std::string Name;
  std::vector<Partition> Partitions;
  std::vector<Region> Regions;
};

/// One partition per line (text), per array element (JSON) or per node (DOT),
/// each with its stable name, kind, source location, region and live locals.
std::string renderPartitions(const std::vector<DumpedFunction> &Fns, DumpFormat Format,
                             const std::string &File);

} // namespace braidc

#endif
