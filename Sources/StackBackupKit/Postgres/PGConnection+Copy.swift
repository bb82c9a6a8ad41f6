internal import CLibPQ

extension PGConnection {
    /// Runs `COPY … TO STDOUT` and calls `body` with each chunk libpq returns:
    /// one row per call for text and csv formats. The buffer is valid only
    /// during the call. Returns the row count from the command tag.
    ///
    /// When `body` throws, the statement is cancelled, the rest of the stream
    /// discarded (the connection stays usable) and the error rethrown.
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let context = context(sql)
        try startCopy(sql, expecting: PGRES_COPY_OUT, context: context)
        var buffer: UnsafeMutablePointer<CChar>?
        var bodyError: Error?
        while true {
            let length = PQgetCopyData(handle, &buffer, 0)
            if length > 0, let chunk = buffer {
                defer { PQfreemem(chunk) }
                do {
                    try body(UnsafeRawBufferPointer(start: chunk, count: Int(length)))
                } catch {
                    bodyError = error
                    break
                }
            } else if length == -1 {
                break
            } else {
                let failure = lastError(context, code: .copy)
                drainResults()
                throw failure
            }
        }
        if let bodyError {
            cancel()
            while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
            drainResults()
            throw bodyError
        }
        return try finishCopy(context: context)
    }

    /// Starts `COPY … FROM STDIN` and returns the stream to write rows into.
    /// Until it is finished or aborted the connection runs nothing else.
    public func copyIn(_ sql: String) throws -> PGCopyWriter {
        let context = context(sql)
        try startCopy(sql, expecting: PGRES_COPY_IN, context: context)
        return PGCopyWriter(connection: self, context: context)
    }

    private func startCopy(_ sql: String, expecting expected: ExecStatusType, context: String) throws {
        guard let raw = PQexec(handle, sql) else { throw lastError(context) }
        let result = PGResult(owning: raw)
        let status = result.status
        if status == expected { return }
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            throw PGError(.protocolError, message: "the statement is not a COPY \(expected == PGRES_COPY_OUT ? "TO STDOUT" : "FROM STDIN")", context: context)
        case PGRES_COPY_IN:
            _ = PQputCopyEnd(handle, "expected COPY TO STDOUT")
            drainResults()
            throw PGError(.protocolError, message: "the statement is a COPY FROM STDIN", context: context)
        case PGRES_COPY_OUT:
            cancel()
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
            drainResults()
            throw PGError(.protocolError, message: "the statement is a COPY TO STDOUT", context: context)
        default:
            throw error(from: result, context: context, defaultCode: .query)
        }
    }

    /// Reads the final result of a COPY and returns its row count.
    func finishCopy(context: String) throws -> Int64 {
        guard let raw = PQgetResult(handle) else { throw lastError(context, code: .copy) }
        let result = PGResult(owning: raw)
        drainResults()
        guard result.status == PGRES_COMMAND_OK else {
            throw error(from: result, context: context, defaultCode: .copy)
        }
        return result.commandTuples ?? 0
    }
}

/// A running `COPY … FROM STDIN`. Write rows in the statement's format, then
/// `finish()` (commit the rows) or `abort(_:)` (the server discards them).
/// Released without either, it aborts. Used by one thread at a time; keeps its
/// connection alive.
public final class PGCopyWriter {
    private let connection: PGConnection
    private let context: String
    private var done = false

    init(connection: PGConnection, context: String) {
        self.connection = connection
        self.context = context
    }

    deinit {
        if !done { try? abort("the copy writer was released without finishing") }
    }

    /// Sends bytes of the stream (any split: rows may span calls).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else {
            throw PGError(.protocolError, message: "write after the COPY ended", context: context)
        }
        guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
        var offset = 0
        // PQputCopyData takes an Int32 length: send large buffers in pieces.
        while offset < bytes.count {
            let piece = min(bytes.count - offset, 1 << 30)
            let rc = PQputCopyData(connection.handle, (base + offset).assumingMemoryBound(to: CChar.self), Int32(piece))
            guard rc == 1 else {
                done = true
                let failure = connection.lastError(context, code: .copy)
                connection.drainResults()
                throw failure
            }
            offset += piece
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Ends the stream; the server commits the rows (within the surrounding
    /// transaction, if any). Returns the row count.
    public func finish() throws -> Int64 {
        guard !done else {
            throw PGError(.protocolError, message: "finish after the COPY ended", context: context)
        }
        done = true
        guard PQputCopyEnd(connection.handle, nil) == 1 else {
            let failure = connection.lastError(context, code: .copy)
            connection.drainResults()
            throw failure
        }
        return try connection.finishCopy(context: context)
    }

    /// Ends the stream with an error: the server discards every row written.
    /// `reason` is reported by the server in its log. Throws only when the
    /// connection itself fails.
    public func abort(_ reason: String) throws {
        guard !done else { return }
        done = true
        guard PQputCopyEnd(connection.handle, reason) == 1 else {
            let failure = connection.lastError(context, code: .copy)
            connection.drainResults()
            throw failure
        }
        // The expected answer is an error result (57014); anything else on a
        // broken connection is reported.
        connection.drainResults()
        guard PQstatus(connection.handle) == CONNECTION_OK else {
            throw connection.lastError(context)
        }
    }
}
