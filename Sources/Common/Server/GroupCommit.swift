import ConclaveStore
import ConclaveWire

/// A post staged for the next group commit: what to send once it is stored.
struct StagedPost {
    let sender: Connection
    /// The `channel_msg` to deliver, encoded once.
    let delivery: OutboundFrame
    /// The channel's other subscribers when the post arrived, in fan-out order.
    let recipients: [Connection]
}

/// Output that waits for the staged posts queued before it, so that every session's frames keep their order.
enum HeldOutput {
    /// An action that was ready, queued behind a post.
    case action(ServerAction)
    /// A post's deliveries and ack, or its `error` if the commit fails.
    case post(StagedPost)
}

/// Group commit (TOOLS.md `conclave-serve`): the posts of one loop turn share one store transaction, and an
/// ack means its post is stored.
///
/// A post is staged, not stored: its record waits in `staged`, and its ack, its deliveries and everything
/// queued after it wait in `held`. ``commit()`` stores the batch with one ``ServerStore/appendMessages(_:)``,
/// then releases the held output in order; if the store fails, each post of the batch is answered with
/// `error: internal` and delivered to nobody. Any other store call commits first (see `store`), so a
/// `read_since` sees the posts before it and a channel change never overtakes a post.
extension ServerCore {
    /// Stores the staged posts, if any, and returns the output they held back. The I/O layer calls it once per
    /// loop turn, after the turn's events and before any connection writes.
    package func commit() -> [ServerAction] {
        settle()
        isCaughtUpThisTurn = false
        return takeActions()
    }

    /// Stages a post; its ack and deliveries wait for ``commit()``.
    func stage(_ record: MessageRecord, _ post: StagedPost) {
        staged.append(record)
        hold(.post(post))
    }

    /// Queues `output` behind the staged posts. Held frames cannot be written yet, so past a quarter of the
    /// queue bound the batch commits at once rather than count them against a slow-consumer drop.
    func hold(_ output: HeldOutput) {
        held.append(output)
        if held.count >= max(1, limits.queueFrameLimit / 4) { settle() }
    }

    /// Commits the staged batch and releases what it held, in order.
    func settle() {
        guard !staged.isEmpty else { return }
        let batch = staged
        let outputs = held
        staged = []
        held = []
        var failure: StoreError?
        do {
            try storage.appendMessages(batch)
            metrics.commits += 1
        } catch {
            failure = error
            metrics.failedCommits += 1
            let posts = batch.count == 1 ? "1 post" : "\(batch.count) posts"
            log(.storeFailure(context: "storing \(posts)", message: error.message))
        }
        // Several instances: posts another instance stored before this batch go out first, in the log's order.
        if failure == nil, let cluster {
            do {
                deliverFromCluster(try cluster.newMessagesBeforeOwnAppend())
            } catch {
                log(.storeFailure(context: "cluster catch-up", message: error.message))
            }
        }
        for output in outputs {
            switch output {
            case let .action(action):
                release(action)
            case let .post(post):
                if let failure {
                    send(.error(.internal(failure.message)), to: post.sender)
                    continue
                }
                for recipient in post.recipients where send(post.delivery, to: recipient) {
                    metrics.deliveries += 1
                }
                send(.ack(detail: nil), to: post.sender)
            }
        }
    }
}
