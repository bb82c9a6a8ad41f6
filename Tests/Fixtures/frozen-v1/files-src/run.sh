#!/bin/sh
echo frozen-v1
