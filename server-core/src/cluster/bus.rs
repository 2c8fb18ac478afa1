//! The transport under the cluster's fan-out: something that carries short texts from one node
//! to every node, in order. PostgreSQL's NOTIFY is the first ([`PgNotify`](super::PgNotify));
//! NATS can replace it behind this trait without the store or `chat/` noticing.

use std::future::Future;

use crate::error::Result;

/// Carries hints between the nodes of a cluster.
pub trait HintBus: Send + Sync + 'static {
    /// The receiving end [`HintBus::receive`] opens.
    type Receiver: HintReceiver;

    /// Sends `hints` to every node that receives (this one included), in this order. Hints are
    /// text without NUL characters, of any length. Returns once the transport has taken them.
    ///
    /// # Errors
    /// When the transport refused them: none of them, or only some, may arrive.
    fn send(&self, hints: Vec<String>) -> impl Future<Output = Result<()>> + Send;

    /// Starts receiving. Every hint sent after this returns arrives at the receiver, in the
    /// order each sender sent them, unless the receiver reports a [`Received::Gap`].
    ///
    /// # Errors
    /// When the transport cannot be reached.
    fn receive(&self) -> impl Future<Output = Result<Self::Receiver>> + Send;
}

/// The receiving end of a [`HintBus`].
pub trait HintReceiver: Send + 'static {
    /// The next hint, or news that some may have been lost. Waits as long as it takes; when
    /// the transport fails it reconnects by itself and then reports [`Received::Gap`].
    fn next(&mut self) -> impl Future<Output = Received> + Send;
}

/// What a [`HintReceiver`] yields.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// One hint, as a node (this one too) sent it.
    Hint(String),
    /// Hints may have been lost before this point (the connection dropped and came back, or
    /// a hint could not be read). Whatever they said must be repaired from the database.
    Gap,
}
