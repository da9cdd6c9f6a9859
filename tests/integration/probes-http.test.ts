/** Probes with the http handler on a real containerd (see support/probeSuite.ts for the common tests). */
import { probeSuite } from "./support/probeSuite.ts";

const { test } = probeSuite("http");

test.run();
