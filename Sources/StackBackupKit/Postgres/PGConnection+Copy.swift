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
