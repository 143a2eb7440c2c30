#!/usr/bin/env node
import { main } from "../dist/mirrord-up.js";

await main();
