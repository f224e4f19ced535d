//! Devices and removable media: the pack's device approvers assign, take back, retire and
//! authorise; anyone may report a device lost or stolen, which opens an incident.

use serde_json::json;

use charter_store::{
    Actor, Device, DeviceNetwork, DeviceStatus, Incident, IncidentKind, IncidentStatus,
    MediaAuthorisation, NewDevice, NewIncident, NewMedia,
};

use crate::App;
use crate::act::{Done, May, entry};
use crate::activity::UsbDevice;
use crate::error::{Error, Result};
use crate::incidents::route_incident;
use crate::people::active;

impl App {
    fn device_approvers(&self) -> Vec<String> {
        self.governance().device_approvers.clone()
    }

    /// Registers a device: with an assignee it is `assigned`, else `in_stock`. A BYOD device
    /// is registered with its owner as assignee.
    pub async fn add_device(&self, actor: &Actor, d: NewDevice) -> Result<Device> {
        let approvers = self.device_approvers();
        self.act(actor, "register devices", May::OperatorOr(&approvers), async |tx, _| {
            if d.byod && d.assignee.is_none() {
                return Err(Error::Refused("a BYOD device is registered with its owner: give --assignee".into()));
            }
            if let Some(a) = d.assignee {
                active(tx.person(a).await?, "be given devices")?;
            }
            let status = if d.assignee.is_some() { DeviceStatus::Assigned } else { DeviceStatus::InStock };
            let dev = tx.insert_device(&d, status).await?;
            Ok(Done::new(dev.clone(), entry("device.add", "device", dev.id, dev.assignee,
                json!({"serial": dev.serial, "kind": dev.kind, "byod": dev.byod, "encrypted": dev.encrypted, "status": dev.status}))))
        })
        .await
    }

    /// Sets how a device shows on the network (its MAC address, the host name it gives DHCP,
    /// a fixed IP address), so that web requests from it without a proxy login are put down
    /// to its holder. Each is checked and normalised; `None` clears it.
    pub async fn set_device_network(
        &self,
        actor: &Actor,
        id: i64,
        net: DeviceNetwork,
    ) -> Result<Device> {
        let net = checked_network(net)?;
        let approvers = self.device_approvers();
        self.act(actor, "register devices", May::OperatorOr(&approvers), async |tx, _| {
            let dev = tx.set_device_network(id, &net).await?;
            Ok(Done::new(dev.clone(), entry("device.network", "device", id, dev.assignee,
                json!({"serial": dev.serial, "mac": net.mac, "hostname": net.hostname, "ip": net.ip}))))
        })
        .await
    }

    /// One device.
    pub async fn device(&self, id: i64) -> Result<Device> {
        self.read(async |tx| Ok(tx.device(id).await?)).await
    }

    /// Every device, by id.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.read(async |tx| Ok(tx.devices().await?)).await
    }

    /// Gives a device in stock (or returned) to a person who is still here.
    pub async fn assign_device(&self, actor: &Actor, id: i64, person_id: i64) -> Result<Device> {
        let approvers = self.device_approvers();
        self.act(
            actor,
            "assign devices",
            May::Roles(&approvers),
            async |tx, _| {
                let d = tx.device(id).await?;
                if !matches!(d.status, DeviceStatus::InStock | DeviceStatus::Returned) {
                    return Err(Error::state(d.label(), d.status, "assign it"));
                }
                let p = active(tx.person(person_id).await?, "be given devices")?;
                let dev = tx
                    .set_device(id, d.status, DeviceStatus::Assigned, Some(p.id))
                    .await?;
                Ok(Done::new(
                    dev,
                    entry(
                        "device.assign",
                        "device",
                        id,
                        p.id,
                        json!({"serial": d.serial}),
                    ),
                ))
            },
        )
        .await
    }

    /// Records a device lost or stolen and opens a `lost_stolen_device` incident for it. The
    /// device stays against its holder until it is found or written off.
    pub async fn report_device_lost(
        &self,
        actor: &Actor,
        id: i64,
        stolen: bool,
        description: &str,
    ) -> Result<(Device, Incident)> {
        let route = route_incident(IncidentKind::LostStolenDevice, self.governance());
        self.act(
            actor,
            "report devices lost",
            May::AnyPerson,
            async |tx, who| {
                let reporter = who.person("report devices lost")?.id;
                let d = tx.device(id).await?;
                if !matches!(d.status, DeviceStatus::Assigned | DeviceStatus::InStock) {
                    return Err(Error::state(
                        d.label(),
                        d.status,
                        "report it lost or stolen",
                    ));
                }
                let to = if stolen {
                    DeviceStatus::Stolen
                } else {
                    DeviceStatus::Lost
                };
                let dev = tx.set_device(id, d.status, to, d.assignee).await?;
                let inc = tx
                    .insert_incident(&NewIncident {
                        kind: IncidentKind::LostStolenDevice,
                        reported_by: reporter,
                        description: description.to_string(),
                        device_id: Some(id),
                        routed_to: route.clone(),
                    })
                    .await?;
                Ok(Done::new(
                    (dev, inc.clone()),
                    entry(
                        "device.lost",
                        "device",
                        id,
                        d.assignee,
                        json!({"serial": d.serial, "status": to}),
                    ),
                )
                .and(entry(
                    "incident.report",
                    "incident",
                    inc.id,
                    reporter,
                    json!({"kind": inc.kind, "routed_to": inc.routed_to, "device": id}),
                )))
            },
        )
        .await
    }

    /// Records a device handed back (also a lost one found again).
    pub async fn return_device(&self, actor: &Actor, id: i64) -> Result<Device> {
        let approvers = self.device_approvers();
        self.act(
            actor,
            "take devices back",
            May::Roles(&approvers),
            async |tx, _| {
                let d = tx.device(id).await?;
                if !matches!(
                    d.status,
                    DeviceStatus::Assigned | DeviceStatus::Lost | DeviceStatus::Stolen
                ) {
                    return Err(Error::state(d.label(), d.status, "record it returned"));
                }
                let dev = tx
                    .set_device(id, d.status, DeviceStatus::Returned, None)
                    .await?;
                Ok(Done::new(
                    dev,
                    entry(
                        "device.return",
                        "device",
                        id,
                        d.assignee,
                        json!({"serial": d.serial, "from": d.status}),
                    ),
                ))
            },
        )
        .await
    }

    /// Writes a device off: out of use for good. A lost or stolen one only once its
    /// incident is closed, so the loss is dealt with before it leaves the books.
    pub async fn retire_device(&self, actor: &Actor, id: i64, reason: &str) -> Result<Device> {
        let approvers = self.device_approvers();
        self.act(
            actor,
            "retire devices",
            May::Roles(&approvers),
            async |tx, _| {
                let d = tx.device(id).await?;
                if d.status == DeviceStatus::Assigned || d.status == DeviceStatus::Retired {
                    return Err(Error::state(
                        d.label(),
                        d.status,
                        "retire it (take it back first)",
                    ));
                }
                if let Some(open) = tx
                    .incidents_about(id)
                    .await?
                    .into_iter()
                    .find(|i| i.status == IncidentStatus::Open)
                {
                    return Err(Error::Refused(format!(
                        "{} is {}: close incident {} about it first",
                        d.label(),
                        d.status,
                        open.id
                    )));
                }
                let dev = tx
                    .set_device(id, d.status, DeviceStatus::Retired, None)
                    .await?;
                Ok(Done::new(
                    dev,
                    entry(
                        "device.retire",
                        "device",
                        id,
                        d.assignee,
                        json!({"serial": d.serial, "from": d.status, "reason": reason}),
                    ),
                ))
            },
        )
        .await
    }

    /// Authorises a person to attach a removable medium or third-party hardware; `usb` names
    /// it as usbguard sees it, so its events match and `charter devices usbguard-rules` allows it.
    pub async fn authorise_media(
        &self,
        actor: &Actor,
        person_id: i64,
        description: &str,
        reason: &str,
        expires_on: Option<jiff::civil::Date>,
        usb: Option<UsbDevice>,
    ) -> Result<MediaAuthorisation> {
        let usb = usb.map(UsbDevice::checked).transpose()?;
        let approvers = self.device_approvers();
        self.act(
            actor,
            "authorise removable media",
            May::Roles(&approvers),
            async |tx, who| {
                active(tx.person(person_id).await?, "be authorised removable media")?;
                let m = tx
                    .insert_media(&NewMedia {
                        person_id,
                        description: description.to_string(),
                        reason: reason.to_string(),
                        authorised_by: who.person("authorise removable media")?.id,
                        expires_on: expires_on.map(|d| d.to_string()),
                        usb_id: usb.as_ref().map(|u| u.id.clone()),
                        usb_serial: usb.as_ref().and_then(|u| u.serial.clone()),
                    })
                    .await?;
                Ok(Done::new(
                    m.clone(),
                    entry(
                        "media.authorise",
                        "media_authorisation",
                        m.id,
                        person_id,
                        json!({"description": m.description, "expires_on": m.expires_on, "usb_id": m.usb_id, "usb_serial": m.usb_serial}),
                    ),
                ))
            },
        )
        .await
    }

    /// Withdraws a removable-media authorisation.
    pub async fn revoke_media(&self, actor: &Actor, id: i64) -> Result<MediaAuthorisation> {
        let approvers = self.device_approvers();
        self.act(
            actor,
            "revoke removable-media authorisations",
            May::Roles(&approvers),
            async |tx, _| {
                let m = tx.media(id).await?;
                if m.revoked_at.is_some() {
                    return Err(Error::state(
                        format!("media authorisation {id}"),
                        "revoked",
                        "revoke it again",
                    ));
                }
                let m = tx.revoke_media(id).await?;
                Ok(Done::new(
                    m.clone(),
                    entry(
                        "media.revoke",
                        "media_authorisation",
                        id,
                        m.person_id,
                        json!({"description": m.description}),
                    ),
                ))
            },
        )
        .await
    }

    /// Removable-media authorisations, by id.
    pub async fn media_authorisations(&self) -> Result<Vec<MediaAuthorisation>> {
        self.read(async |tx| Ok(tx.media_all().await?)).await
    }
}

/// `net` with a MAC address as `aa:bb:cc:dd:ee:ff`, a lowercase host name and a canonical
/// IP address; refused when one cannot be read.
fn checked_network(net: DeviceNetwork) -> Result<DeviceNetwork> {
    use charter_proto::leases::{hostname, normalise_mac};
    let refuse = |what: &str, v: &str| Error::Refused(format!("`{v}` is not {what}"));
    let mac = match net.mac.as_deref() {
        Some(m) => Some(
            normalise_mac(m).ok_or_else(|| refuse("a MAC address such as 52:54:00:ab:cd:ef", m))?,
        ),
        None => None,
    };
    let host = match net.hostname.as_deref() {
        Some(h) => Some(hostname(h).ok_or_else(|| refuse("a host name", h))?),
        None => None,
    };
    let ip = match net.ip.as_deref() {
        Some(a) => Some(
            a.parse::<std::net::IpAddr>()
                .map_err(|_| refuse("an IP address", a))?
                .to_string(),
        ),
        None => None,
    };
    Ok(DeviceNetwork {
        mac,
        hostname: host,
        ip,
    })
}
