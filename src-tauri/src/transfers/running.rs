//! Transfers running for the page, by the id it chose, so that a download or an upload can be
//! cancelled: cancelling drops the transfer's future (a download's partial file goes with it).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use futures_util::future::{AbortHandle, Abortable};

use crate::error::{Error, Result};

/// Transfers running for the page, by the id it chose, so that it can cancel them.
#[derive(Default)]
pub struct Transfers {
    running: Mutex<HashMap<String, AbortHandle>>,
}

impl Transfers {
    /// Runs `work` as transfer `id` until it ends or [`Transfers::cancel`] drops it (then
    /// [`Error::Cancelled`]). An id already running is refused.
    pub async fn run<T>(&self, id: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        if id.is_empty() || id.len() > 64 {
            return Err(Error::invalid("invalid_transfer", "that is not a transfer id"));
        }
        let (handle, registration) = AbortHandle::new_pair();
        {
            let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            if running.contains_key(id) {
                return Err(Error::invalid(
                    "invalid_transfer",
                    "that transfer is already running",
                ));
            }
            running.insert(id.to_owned(), handle);
        }
        let outcome = Abortable::new(work, registration).await;
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        outcome.unwrap_or(Err(Error::Cancelled))
    }

    /// Stops transfer `id`, if it is still running; a download's partial file is removed.
    pub fn cancel(&self, id: &str) {
        if let Some(handle) = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
        {
            handle.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancelled_transfer_ends_as_cancelled_and_its_id_is_free_again() {
        let transfers = std::sync::Arc::new(Transfers::default());
        let running = transfers.clone();
        let task = tokio::spawn(async move {
            running
                .run("t1", async {
                    std::future::pending::<()>().await;
                    Ok(())
                })
                .await
        });
        for _ in 0..100 {
            if transfers.running.lock().unwrap().contains_key("t1") {
                break;
            }
            tokio::task::yield_now().await;
        }
        transfers.cancel("t1");
        assert!(matches!(task.await.unwrap(), Err(Error::Cancelled)));
        assert_eq!(transfers.run("t1", async { Ok(5) }).await.unwrap(), 5);
        assert!(transfers.run("", async { Ok(()) }).await.is_err());
    }
}
