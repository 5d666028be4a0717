import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { AdminRateLimit } from '../rate-limit/auth-rate-limit.decorator';

/** The page's three files, read once at boot (copied beside the compiled code by nest-cli's assets). */
const read = (name: string): string => readFileSync(join(__dirname, 'page', name), 'utf8');

/**
 * GET /admin: the operator page, one HTML file with its script and style
 * served as separate files by this app (the CSP refuses inline scripts and
 * the page must work offline). Loading it needs no token: the operator pastes
 * the admin token into the page, which sends it to the admin API. Plain
 * strings through Nest, so the same on any HTTP platform.
 */
@ApiExcludeController()
@Public()
@AdminRateLimit()
@Controller('admin')
export class OperatorPageController {
  private readonly html = read('operator.html');
  private readonly script = read('operator.js');
  private readonly style = read('operator.css');

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return this.html;
  }

  @Get('operator.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  pageScript(): string {
    return this.script;
  }

  @Get('operator.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  pageStyle(): string {
    return this.style;
  }
}
