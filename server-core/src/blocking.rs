//! CPU-heavy work (password hashing, image decoding) on tokio's blocking pool, never more at
//! once than the machine has cores: a burst then queues instead of starving everything else.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct BlockingPool {
    permits: Arc<Semaphore>,
}

impl Default for BlockingPool {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        BlockingPool {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl BlockingPool {
    /// Runs `work` on the blocking pool once a slot is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(|_| Error::ShuttingDown)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("blocking task: {e}")))
    }
}
