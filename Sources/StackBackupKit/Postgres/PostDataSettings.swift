/// Session settings of the post-data pg_restore, where the index builds run.
///
/// `maintenance_work_mem` is sized from the largest table: a B-tree sort or
/// a pgvector HNSW graph that fits in it is built in memory, many times
/// faster than one that spills (pgvector: "hnsw graph no longer fits into
/// maintenance_work_mem"; an Immich CLIP index of 270,000 assets needs
/// about 700 MB). It is capped at 1 GiB per session; pgvector and B-tree
/// builds take only what they use.
///
/// Parallel maintenance workers are turned off: a parallel HNSW build puts
/// its whole graph, `maintenance_work_mem` bytes, in one dynamic shared
/// memory segment, and a server in a container with the usual 64–128 MB
/// /dev/shm (Immich's compose file sets 128 MB) fails the build with "could
/// not resize shared memory segment". The restore's own `-j` connections
/// build different indexes side by side instead.
enum PostDataSettings {
    static let floorBytes: Int64 = 256 << 20
    static let capBytes: Int64 = 1 << 30

    static func maintenanceWorkMem(for tables: [TableEntry]) -> Int64 {
        let largest = tables.map(\.bytes).max() ?? 0
        return min(capBytes, max(floorBytes, largest + largest / 2))
    }

    static func settings(for tables: [TableEntry]) -> [String: String] {
        ["maintenance_work_mem": "\(maintenanceWorkMem(for: tables) >> 20)MB",
         "max_parallel_maintenance_workers": "0"]
    }
}
