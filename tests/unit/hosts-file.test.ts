import { test } from "uvu";
import * as assert from "uvu/assert";
import { managedHostsFileContent, nodeHostsFileContent } from "../../kubelet/network/hostsFile.ts";

const LOCAL = [
  "# Kubernetes-managed hosts file.",
  "127.0.0.1\tlocalhost",
  "::1\tlocalhost ip6-localhost ip6-loopback",
  "fe00::0\tip6-localnet",
  "fe00::0\tip6-mcastprefix",
  "fe00::1\tip6-allnodes",
  "fe00::2\tip6-allrouters",
];

test("a pod-network pod gets localhost entries and its IPs with its hostname", () => {
  assert.is(managedHostsFileContent(["10.88.0.5", "fd00::5"], "web", ""), [...LOCAL, "10.88.0.5\tweb", "fd00::5\tweb", ""].join("\n"));
});

test("with a subdomain each IP also carries the FQDN", () => {
  assert.is(
    managedHostsFileContent(["10.88.0.5"], "web-0", "nginx.prod.svc.cluster.local"),
    [...LOCAL, "10.88.0.5\tweb-0.nginx.prod.svc.cluster.local\tweb-0", ""].join("\n"),
  );
});

test("hostAliases follow in their own section, one line per IP", () => {
  const text = managedHostsFileContent(["10.88.0.5"], "web", "", [{ ip: "127.0.0.1", hostnames: ["foo.local", "bar.local"] }, { ip: "10.1.2.3", hostnames: ["foo.remote"] }]);
  assert.ok(text.endsWith("10.88.0.5\tweb\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n"));
});

test("a hostNetwork pod gets the node's hosts file under its own header, plus aliases", () => {
  const node = "127.0.0.1 localhost\n192.168.1.10 node-1\n";
  assert.is(nodeHostsFileContent(node), `# Kubernetes-managed hosts file (host network).\n${node}`);
  assert.is(nodeHostsFileContent(node, [{ ip: "1.2.3.4", hostnames: ["x"] }]), `# Kubernetes-managed hosts file (host network).\n${node}\n# Entries added by HostAliases.\n1.2.3.4\tx\n`);
});

test.run();
