import Foundation
import Testing
import StackBackupKit
import StackBackupTestSupport

/// Throughput of the chunker's inner loop. Meaningful only in release builds:
/// `swift test -c release --filter FastCDCThroughputTests`; debug builds just run it.
@Suite struct FastCDCThroughputTests {
    @Test(arguments: ["volumes", "database"])
    func chunksAtLeastOneGigabytePerSecondInReleaseBuilds(_ name: String) throws {
        let parameters: ChunkerParameters = name == "volumes" ? .volumes : .database
        var random = SeededRandom(seed: 9)
        #if DEBUG
        let size = 16 << 20  // unoptimized: only check that it runs
        #else
        let size = 256 << 20
        #endif
        let data = random.bytes(size)
        var chunker = FastCDC(parameters: parameters, gear: try GearTable(seed: SecretBytes([UInt8](repeating: 7, count: 32))))
        var best = Double.infinity
        var chunks = 0
        for _ in 0..<3 {
            chunker.reset()
            chunks = 0
            let start = DispatchTime.now().uptimeNanoseconds
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    if let cut = chunker.findCut(in: UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                        offset += cut
                        chunks += 1
                    } else {
                        offset = raw.count
                    }
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let rate = Double(data.count) / best / 1e9
        print("FastCDC \(name): \(String(format: "%.2f", rate)) GB/s, \(chunks) chunks of \(size >> 20) MiB")
        #if !DEBUG
        #expect(rate > 1.0)
        #endif
    }
}
