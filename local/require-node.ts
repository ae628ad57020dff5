/**
 * Imported first by every command-line entry point (`import "./require-node.js"`): stops the command with one line
 * on a Node.js older than the project needs, before the other modules load (ES modules run in import order).
 */
import { exitOnOldNode } from "./node-version.js";

exitOnOldNode();
