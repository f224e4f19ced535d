//! Official social media accounts: opened with two-factor sign-in, by the pack's social media
//! approvers, who also add posters and hand accounts over with their credentials.

use serde_json::json;

use charter_store::{Actor, NewSocial, SocialAccount, SocialStatus};

use crate::App;
use crate::act::{Done, May, entry};
use crate::error::{Error, Result};
use crate::people::active;

impl App {
    /// Registers an official account. Two-factor sign-in must be on.
    pub async fn add_social_account(&self, actor: &Actor, s: NewSocial) -> Result<SocialAccount> {
        let approvers = self.governance().social_media_approvers.clone();
        self.act(actor, "open official social media accounts", May::Roles(&approvers), async |tx, _| {
            if !s.two_factor {
                return Err(Error::Refused("the policy requires two-factor authentication on official social media accounts: turn it on first".into()));
            }
            active(tx.person(s.owner_id).await?, "own an official account")?;
            active(tx.person(s.custodian_id).await?, "keep an account's credentials")?;
            let a = tx.insert_social(&s).await?;
            Ok(Done::new(a.clone(), entry("social.add", "social_account", a.id, a.owner_id,
                json!({"platform": a.platform, "handle": a.handle, "custodian": a.custodian_id}))))
        })
        .await
    }

    /// Lets one more person post from an official account.
    pub async fn authorise_social_user(
        &self,
        actor: &Actor,
        id: i64,
        person_id: i64,
    ) -> Result<SocialAccount> {
        let approvers = self.governance().social_media_approvers.clone();
        self.act(
            actor,
            "authorise social media users",
            May::Roles(&approvers),
            async |tx, _| {
                let s = tx.social(id).await?;
                if s.status != SocialStatus::Active {
                    return Err(Error::state(s.label(), s.status, "add users"));
                }
                active(tx.person(person_id).await?, "post from an official account")?;
                let mut users = s.authorised_users.clone();
                if !users.contains(&person_id) {
                    users.push(person_id);
                }
                let a = tx
                    .set_social_holders(id, s.owner_id, s.custodian_id, &users)
                    .await?;
                Ok(Done::new(
                    a,
                    entry(
                        "social.authorise",
                        "social_account",
                        id,
                        person_id,
                        json!({"handle": s.handle}),
                    ),
                ))
            },
        )
        .await
    }

    /// Hands an official account to a new owner and credentials custodian (IIMTS: "The
    /// account must be handed over to the respective authority with all credentials"). The
    /// old owner and custodian lose posting rights.
    pub async fn hand_over_social(
        &self,
        actor: &Actor,
        id: i64,
        owner: i64,
        custodian: i64,
    ) -> Result<SocialAccount> {
        let approvers = self.governance().social_media_approvers.clone();
        self.act(actor, "hand over social media accounts", May::Roles(&approvers), async |tx, _| {
            let s = tx.social(id).await?;
            if s.status != SocialStatus::Active {
                return Err(Error::state(s.label(), s.status, "hand it over"));
            }
            for p in [owner, custodian] {
                active(tx.person(p).await?, "take an account over")?;
            }
            let users: Vec<i64> = s
                .authorised_users
                .iter()
                .copied()
                .filter(|u| *u != s.owner_id && *u != s.custodian_id)
                .collect();
            let a = tx.set_social_holders(id, owner, custodian, &users).await?;
            Ok(Done::new(a, entry("social.handover", "social_account", id, s.owner_id,
                json!({"handle": s.handle, "from_owner": s.owner_id, "to_owner": owner, "from_custodian": s.custodian_id, "to_custodian": custodian}))))
        })
        .await
    }

    /// Every official social media account, by id.
    pub async fn social_accounts(&self) -> Result<Vec<SocialAccount>> {
        self.read(async |tx| Ok(tx.socials().await?)).await
    }
}
