internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes. Traps only if the system RNG is broken, because
    /// continuing with predictable keys or salts would be worse than stopping.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes: negative count")
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var offset = 0
            while offset < count {
                let n = min(count - offset, Int(Int32.max))
                let rc = RAND_bytes(buffer.baseAddress! + offset, Int32(n))
                precondition(rc == 1, "RAND_bytes failed: the system random number generator is unavailable")
                offset += n
            }
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes (same failure policy as `bytes(_:)`).
    static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = min(buffer.count - offset, Int(Int32.max))
            let rc = RAND_bytes(base.assumingMemoryBound(to: UInt8.self) + offset, Int32(n))
            precondition(rc == 1, "RAND_bytes failed: the system random number generator is unavailable")
            offset += n
        }
    }
}
