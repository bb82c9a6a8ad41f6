import Foundation

/// Polls a `pg_stat_progress_*` view for one backend from a second connection
/// on its own thread, reporting the phase and block counts of the statement
/// the main connection is running. Best effort: if the second connection
/// cannot be opened or a poll fails, progress simply stops (the maintenance
/// itself is unaffected).
///
/// `watch` / `idle` / `stop` are called by the maintenance thread; after
/// `idle()` returns, no more reports for the previous object are delivered.
final class MaintenanceProgressPoller: @unchecked Sendable {
    private let config: PGConnectionConfig
    private let pid: String
    private let sql: String
    private let interval: TimeInterval
    private let report: (MaintenanceProgress) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var current: MaintenanceProgress?
    private var generation = 0
    private var stopping = false
    private var running = false

    init(config: PGConnectionConfig, pid: String, operation: MaintenanceOperation, interval: TimeInterval,
         report: @escaping (MaintenanceProgress) -> Void) {
        self.config = config
        self.pid = pid
        self.interval = max(0.05, interval)
        self.report = report
        switch operation {
        case .vacuum:
            sql = "SELECT phase, heap_blks_scanned, heap_blks_total FROM pg_stat_progress_vacuum WHERE pid = $1::int"
        case .vacuumFull:
            sql = "SELECT phase, heap_blks_scanned, heap_blks_total FROM pg_stat_progress_cluster WHERE pid = $1::int"
        case .analyze:
            sql = "SELECT phase, sample_blks_scanned, sample_blks_total FROM pg_stat_progress_analyze WHERE pid = $1::int"
        case .reindex, .check:
            sql = "SELECT phase, blocks_done, blocks_total FROM pg_stat_progress_create_index WHERE pid = $1::int"
        }
    }

    /// Starts reporting on `object` (starts the thread on first use).
    func watch(_ object: MaintenanceProgress) {
        condition.lock()
        defer { condition.unlock() }
        current = object
        generation += 1
        if !running && !stopping {
            running = true
            let thread = Thread { [self] in self.loop() }
            thread.name = "stackbackup maintenance progress"
            thread.start()
        }
    }

    /// Stops reporting on the current object.
    func idle() {
        condition.lock()
        current = nil
        generation += 1
        condition.unlock()
    }

    /// Ends the thread and waits for it.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        var session: PGConnection?
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            guard !stopping, let watched = current else { continue }
            let seen = generation
            condition.unlock()
            var sample: (String?, Int64?, Int64?)?
            do {
                if session == nil { session = try PGConnection.connect(config, retries: 0) }
                if let result = try session?.query(sql, [pid]), result.rowCount > 0 {
                    sample = (result.string(0, 0), result.int(0, 1), result.int(0, 2))
                }
            } catch {
                condition.lock()
                break
            }
            condition.lock()
            if let sample, generation == seen, !stopping {
                var update = watched
                update.event = .running
                update.phase = sample.0
                update.blocksDone = sample.1
                update.blocksTotal = sample.2
                report(update)
            }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
