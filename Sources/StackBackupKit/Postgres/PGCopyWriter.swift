internal import CLibPQ

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
