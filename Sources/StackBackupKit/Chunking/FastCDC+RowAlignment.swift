extension FastCDC {
    /// Like `findCut(in:)`, but a cut moves forward to just after the next
    /// `delimiter` (the end of a COPY text row), so an unchanged run of rows
    /// yields the same chunks night after night. Same calling convention as
    /// `findCut(in:)`; do not mix the two calls within one stream.
    ///
    /// A chunk may exceed `maxSize` by the rest of one row, but never
    /// `2 × maxSize`: a longer row is cut there without alignment.
    /// COPY text format escapes newlines inside values, so `0x0A` only ends rows.
    public mutating func findRowAlignedCut(in buffer: UnsafeRawBufferPointer, delimiter: UInt8 = 0x0A) -> Int? {
        guard buffer.count > 0 else { return nil }
        var searchFrom = 0
        if !awaitingDelimiter {
            let before = position
            guard let cut = findCut(in: buffer) else { return nil }
            if buffer[cut - 1] == delimiter { return cut }
            // findCut has reset the state; the chunk continues to the row end.
            awaitingDelimiter = true
            position = before + cut
            searchFrom = cut
        }
        // Chunk length at buffer offset j is base + j.
        let base = position - searchFrom
        let end = Swift.min(buffer.count, 2 * parameters.maxSize - base)
        let window = UnsafeRawBufferPointer(rebasing: buffer[searchFrom..<end])
        if let index = window.firstIndex(of: delimiter) {
            reset()
            return searchFrom + index + 1
        }
        if end < buffer.count {
            reset()
            return end
        }
        position = base + buffer.count
        return nil
    }
}
