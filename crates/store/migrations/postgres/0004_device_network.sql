-- How a device shows on the network, so that a web request with no proxy login can be put
-- down to the person the device is assigned to (docs/squid.md, "Identity"): its MAC address
-- (lowercase, colons), the host name it gives DHCP (lowercase) and a fixed IP address.
ALTER TABLE devices ADD COLUMN mac TEXT;
ALTER TABLE devices ADD COLUMN hostname TEXT;
ALTER TABLE devices ADD COLUMN ip TEXT;
