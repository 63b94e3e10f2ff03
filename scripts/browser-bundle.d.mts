export const EAGER_COMPILE: string;
