export declare const STAMP: string;
export declare function newestSourceMs(dir: string): number;
export declare function isBuildFresh(root: string): boolean;
