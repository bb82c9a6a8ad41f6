import Foundation
import Synchronization

extension DatabaseRestorer {
    // MARK: - SQL sections

    /// Runs a script's statements in order on one connection. With `--no-owner`,
    /// `ALTER … OWNER TO` is skipped, and so are grants naming a missing role.
    func runScript(_ script: RestoreScript, on connection: PGConnection, step: String, skipRoles: Set<String>) throws {
        for (index, statement) in script.statements.enumerated() {
            guard shouldRun(statement, skipRoles: skipRoles) else { continue }
            try checkCancelledIn(step)
            do {
                try connection.execute(statement.text)
            } catch {
                throw StepFailure(step: "\(step) statement \(index + 1) (\(RestoreScript.abbreviate(statement.text)))", table: nil, underlying: error)
            }
        }
    }

    func shouldRun(_ statement: RestoreScript.Statement, skipRoles: Set<String>) -> Bool {
        switch statement.kind {
        case .owner:
            return !options.noOwner
        case .privilege(let roles):
            return !roles.contains(where: skipRoles.contains)
        default:
            return true
        }
    }

    func checkCancelledIn(_ step: String) throws {
        do { try checkCancelled() } catch { throw StepFailure(step: step, table: nil, underlying: error) }
    }

    /// Post-data: index and key builds first, in parallel and grouped by table
    /// (each with the session settings in force where it stood in the script),
    /// then everything else in order (foreign keys, triggers, attachments…).
    func runPostData(_ script: RestoreScript, on connection: PGConnection, skipRoles: Set<String>) throws {
        struct Build { var table: String; var statements: [(index: Int, text: String, session: [String: String])] }
        var session: [String: String] = [:]
        var builds: [String: Build] = [:]
        var order: [String] = []
        var rest = RestoreScript(Array<UInt8>())
        for (index, statement) in script.statements.enumerated() {
            switch statement.kind {
            case .session(let name):
                session[name] = statement.text
                rest.statements.append(statement)
            case .indexBuild(let table) where options.jobs > 1:
                if builds[table] == nil { builds[table] = Build(table: table, statements: []); order.append(table) }
                builds[table]?.statements.append((index, statement.text, session))
            default:
                rest.statements.append(statement)
            }
        }
        // Largest tables first: their builds take longest.
        let sizes = Dictionary(manifest.tables.map { ($0.table.description, $0.bytes) }, uniquingKeysWith: max)
        func size(_ table: String) -> Int64 { sizes[table.replacingOccurrences(of: "\"", with: "")] ?? 0 }
        let jobs = order.compactMap { builds[$0] }.sorted { size($0.table) > size($1.table) }
        try RestoreWorkers.run(jobs, workers: options.jobs, cancellation: cancellation, connect: {
            let worker = try connectScratch()
            for (name, value) in PostDataSettings.settings(for: manifest.tables).sorted(by: { $0.key < $1.key }) {
                try worker.execute("SET \(name) = \(worker.escapeLiteral(value))")
            }
            return worker
        }, body: { worker, build in
            var applied: [String: String] = [:]
            for item in build.statements {
                do {
                    for (name, text) in item.session.sorted(by: { $0.key < $1.key }) where applied[name] != text {
                        try worker.execute(text)
                        applied[name] = text
                    }
                    try worker.execute(item.text)
                } catch {
                    throw StepFailure(step: "post-data statement \(item.index + 1) (\(RestoreScript.abbreviate(item.text)))", table: nil, underlying: error)
                }
            }
        })
        try runScript(rest, on: connection, step: "post-data", skipRoles: skipRoles)
    }

    /// One section of the schema archive through pg_restore into the scratch
    /// database. Its sessions get `synchronous_commit = off` (the scratch
    /// database is dropped on any failure anyway) and, for post-data's index
    /// builds, `PostDataSettings`; nothing changes server-wide.
    /// Grants naming roles that are missing (`--no-owner`) cannot go through
    /// pg_restore, which runs an object's grants as one statement: then it
    /// skips all grants and the others are applied here, one by one.
    func restoreArchive(_ archive: RestoreArchive, section: String, script: RestoreScript,
                        on connection: PGConnection, skipRoles: Set<String>) throws {
        let cancel = PGToolCancel()
        cancellation.register(cancel)
        defer { cancellation.unregister(cancel) }
        try checkCancelled()
        var settings = ["synchronous_commit": "off"]
        if section == "post-data" { settings.merge(PostDataSettings.settings(for: manifest.tables)) { $1 } }
        try archive.restore(section: section, into: tempName, jobs: section == "post-data" ? options.jobs : 1,
                            noOwner: options.noOwner, noPrivileges: !skipRoles.isEmpty, settings: settings, cancel: cancel)
        try checkCancelled()
        if !skipRoles.isEmpty {
            var grants = RestoreScript(Array<UInt8>())
            grants.statements = script.statements.filter {
                if case .privilege = $0.kind { return true }
                return false
            }
            try runScript(grants, on: connection, step: "\(section) grants", skipRoles: skipRoles)
        }
    }

    // MARK: - Table data

    struct PartJob {
        var table: TableEntry
        var part: TablePart
        var partIndex: Int
    }

    /// Loads the selected tables' parts by COPY FROM STDIN on `jobs`
    /// connections, largest parts first; checks each part's row count.
    func loadTables(_ tables: [TableEntry]) throws -> LoadTotals {
        var jobs: [PartJob] = []
        var remaining: [QualifiedName: Int] = [:]
        for table in tables {
            remaining[table.table] = table.parts.count
            for (index, part) in table.parts.enumerated() { jobs.append(PartJob(table: table, part: part, partIndex: index)) }
        }
        jobs.sort { $0.part.bytes > $1.part.bytes }
        let load = Mutex((totals: LoadTotals(), remaining: remaining))
        // Tables without parts (empty) count as done at once.
        for table in tables where table.parts.isEmpty {
            progressLock.withLock { tablesDone += 1 }
            report("data", table: table.table.description)
        }
        try RestoreWorkers.run(jobs, workers: options.jobs, cancellation: cancellation, connect: {
            let worker = try connectScratch()
            // Skips triggers and foreign-key checks while loading (needs superuser; harmless without:
            // pg_dump puts triggers and foreign keys in post-data).
            _ = try? worker.execute("SET session_replication_role = replica")
            return worker
        }, body: { [self] worker, job in
            let rows = try copyPart(job, on: worker)
            let tableDone: Bool = load.withLock { load in
                load.totals.rows += rows
                load.totals.bytes += job.part.bytes
                load.remaining[job.table.table, default: 1] -= 1
                return load.remaining[job.table.table] == 0
            }
            progressLock.withLock {
                bytesDone += job.part.bytes
                if tableDone { tablesDone += 1 }
            }
            if tableDone || job.table.parts.count > 1 { report("data", table: job.table.table.description) }
        })
        return load.withLock { $0.totals }
    }

    /// Streams one part's blobs into one COPY; returns the rows loaded.
    func copyPart(_ job: PartJob, on connection: PGConnection) throws -> Int64 {
        let name = job.table.table.description
        let columns = job.table.columns.isEmpty ? "" : " (" + job.table.columns.map(connection.escapeIdentifier).joined(separator: ", ") + ")"
        let format = job.table.format == "binary" ? " WITH (FORMAT binary)" : ""
        let sql = "COPY \(qualified(job.table.table, connection))\(columns) FROM STDIN\(format)"
        let partNote = job.table.parts.count > 1 ? " part \(job.partIndex + 1) of \(job.table.parts.count)" : ""
        return try step("table data", table: name + partNote) {
            let writer = try connection.copyIn(sql)
            do {
                for id in job.part.chunks {
                    try checkCancelled()
                    let bytes = try store.loadBlob(.data, id: id)
                    try writer.write(bytes)
                }
            } catch {
                try? writer.abort("stackbackup restore stopped: \(error)")
                throw error
            }
            let rows = try writer.finish()
            if rows != job.part.rows {
                throw RestoreError(.damaged, step: "table data", table: name, message: "loaded \(rows) rows but the snapshot recorded \(job.part.rows)")
            }
            return rows
        }
    }

    // MARK: - Sequences, large objects, analyze

    func restoreSequences(on connection: PGConnection) throws {
        for sequence in manifest.sequences {
            try checkCancelled()
            try connection.query("SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)",
                                 [qualified(sequence.sequence, connection), String(sequence.lastValue), sequence.isCalled ? "true" : "false"])
        }
    }

    func restoreLargeObjects(on connection: PGConnection, skipRoles: Set<String>) throws {
        for lo in manifest.largeObjects {
            try checkCancelled()
            let oid = String(lo.oid)
            let exists = try connection.query("SELECT 1 FROM pg_catalog.pg_largeobject_metadata WHERE oid = $1::oid", [oid]).rowCount > 0
            if !exists { try connection.query("SELECT pg_catalog.lo_create($1::oid)", [oid]) }
            var offset: Int64 = 0
            for id in lo.chunks {
                try checkCancelled()
                let bytes: [UInt8]
                do {
                    bytes = try store.loadBlob(.data, id: id)
                } catch {
                    throw StepFailure(step: "large object \(lo.oid)", table: nil, underlying: error)
                }
                try connection.query("SELECT pg_catalog.lo_put($1::oid, $2::bigint, $3::bytea)", [oid, String(offset), RestoreHex.bytea(bytes)])
                offset += Int64(bytes.count)
            }
            if !options.noOwner && !skipRoles.contains(lo.owner) {
                try connection.execute("ALTER LARGE OBJECT \(lo.oid) OWNER TO \(connection.escapeIdentifier(lo.owner))")
            }
        }
    }

    /// ANALYZE every table and materialized view, on `jobs` connections.
    func analyze() throws {
        let names = manifest.tables.sorted { $0.bytes > $1.bytes }.map(\.table) + manifest.materializedViews
        try RestoreWorkers.run(names, workers: options.jobs, cancellation: cancellation, connect: connectScratch) { [self] worker, name in
            do {
                try worker.execute("ANALYZE \(qualified(name, worker))")
            } catch {
                throw StepFailure(step: "analyze", table: name.description, underlying: error)
            }
        }
    }

    // MARK: - Swap

    /// Puts the scratch database in place of the target; returns the name the
    /// old target is kept under, if any.
    func swap(_ connection: PGConnection) throws -> String? {
        let target = options.target
        let quotedTemp = connection.escapeIdentifier(tempName)
        let quotedTarget = connection.escapeIdentifier(target)
        return try step("swap") {
            guard try databaseExists(target, connection) else {
                try connection.execute("ALTER DATABASE \(quotedTemp) RENAME TO \(quotedTarget)")
                return nil
            }
            if try !databaseHasData(target) {
                try connection.execute("DROP DATABASE \(quotedTarget) WITH (FORCE)")
                try connection.execute("ALTER DATABASE \(quotedTemp) RENAME TO \(quotedTarget)")
                return nil
            }
            guard options.replace else {
                throw RestoreError(.targetHoldsData, step: "swap", message: "database \(target) exists and holds data; use --replace to swap it in after a full restore, or --into NEWNAME")
            }
            let old = oldDatabaseName()
            let quotedOld = connection.escapeIdentifier(old)
            let allowed = try connection.query("SELECT datallowconn FROM pg_catalog.pg_database WHERE datname = $1", [target]).bool(0, 0) ?? true
            // No new sessions, end the current ones, then rename (retrying while sessions linger).
            try connection.execute("ALTER DATABASE \(quotedTarget) ALLOW_CONNECTIONS false")
            var renamed = false
            do {
                for attempt in 0..<10 where !renamed {
                    try connection.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()", [target])
                    do {
                        try connection.execute("ALTER DATABASE \(quotedTarget) RENAME TO \(quotedOld)")
                        renamed = true
                    } catch let error as PGError where error.sqlState == "55006" && attempt < 9 {
                        Thread.sleep(forTimeInterval: 0.2)
                    }
                }
            } catch {
                if allowed { _ = try? connection.execute("ALTER DATABASE \(quotedTarget) ALLOW_CONNECTIONS true") }
                throw error
            }
            do {
                try connection.execute("ALTER DATABASE \(quotedTemp) RENAME TO \(quotedTarget)")
            } catch {
                // Put the original back as it was.
                _ = try? connection.execute("ALTER DATABASE \(quotedOld) RENAME TO \(quotedTarget)")
                if allowed { _ = try? connection.execute("ALTER DATABASE \(quotedTarget) ALLOW_CONNECTIONS true") }
                throw error
            }
            if allowed { try connection.execute("ALTER DATABASE \(quotedOld) ALLOW_CONNECTIONS true") }
            return old
        }
    }
}

enum RestoreHex {
    /// `\x…` bytea input text for `bytes`.
    static func bytea(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        bytes.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for (i, byte) in source.enumerated() {
                    target[2 + 2 * i] = digits[Int(byte >> 4)]
                    target[3 + 2 * i] = digits[Int(byte & 0x0F)]
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
