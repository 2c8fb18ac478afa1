//! A person's export of their own data: their account and every message they sent that still
//! exists (files are named, not included).

use serde::Serialize;

use crate::context::AppContext;
use crate::error::Result;
use crate::model::{Caller, Me};
use crate::store::ExportedMessage;
use crate::time::{self, Millis};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    #[serde(serialize_with = "time::ser")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: Millis,
    pub user: Me,
    pub messages: Vec<ExportedMessage>,
}

pub async fn mine(ctx: &AppContext, caller: &Caller) -> Result<Export> {
    Ok(Export {
        exported_at: ctx.clock.now(),
        user: super::accounts::me(ctx, caller).await?,
        messages: ctx.store.export_messages(caller.user_id).await?,
    })
}
