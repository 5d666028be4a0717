import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  mixin,
  NestInterceptor,
  Type,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { finalize, type Observable } from 'rxjs';
import { avatarConfig } from '../../config/avatar.config';
import { AppError } from '../app-error';
import { Semaphore } from '../semaphore';

/** The one file of a multipart request, held in memory (at most AVATAR_MAX_BYTES). */
export interface UploadedFilePart {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/** Room for the text fields, part headers and boundaries around the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const TEXT_FIELD_LIMITS = { fields: 8, fieldSize: 4096, fieldNameSize: 64, headerPairs: 16 };
/**
 * Multipart bodies read into memory at once, across routes. The others wait
 * unread (TCP holds the client back), so memory stays at about this many
 * AVATAR_MAX_BYTES whether 8 or 400 uploads arrive together; each one waits
 * for its turn instead. A client that sends slowly holds its place at most
 * until HTTP_REQUEST_TIMEOUT closes its connection.
 */
const BODIES_IN_MEMORY = 8;
const intake = new Semaphore(BODIES_IN_MEMORY);

export interface MultipartUploadOptions {
  /** The file part's field name, when the route insists on one (`avatar` at registration). */
  fileField?: string;
  /** Whether the route takes only multipart (the avatar upload) or JSON too (registration). */
  multipartOnly: boolean;
}

/**
 * Everything multipart in one place: the body of a multipart/form-data
 * request is parsed here (multer, through Nest's Express adapter), with
 * limits checked while it streams: a declared Content-Length beyond them is
 * refused before any byte is read, and a file that grows past
 * AVATAR_MAX_BYTES stops being stored at once (multer then discards the rest
 * of the body without keeping it), and only BODIES_IN_MEMORY bodies are read
 * at a time. Text fields become the body the route's
 * DTO validates; the file is read with @UploadedFilePart(). Multer's and
 * busboy's errors become the contract's codes, never a 500.
 *
 * Porting to another HTTP platform means rewriting this file only.
 */
export function MultipartUpload(options: MultipartUploadOptions): Type<NestInterceptor> {
  @Injectable()
  class MultipartUploadInterceptor implements NestInterceptor {
    private readonly parser: NestInterceptor;

    constructor(
      @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    ) {
      const Parser = AnyFilesInterceptor({
        limits: {
          ...TEXT_FIELD_LIMITS,
          files: 1,
          fileSize: config.maxBytes,
          parts: TEXT_FIELD_LIMITS.fields + 1,
        },
      });
      this.parser = new Parser();
    }

    async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
      const http = context.switchToHttp();
      const req = http.getRequest<Request>();
      if (!req.is('multipart/form-data')) {
        if (options.multipartOnly) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the image as multipart/form-data');
        }
        return next.handle();
      }
      const declared = Number(req.header('content-length') ?? 0);
      if (declared > this.config.maxBytes + MULTIPART_OVERHEAD_BYTES) {
        // Nothing of the body is read: close the connection rather than drain it.
        http.getResponse<Response>().setHeader('Connection', 'close');
        throw this.tooLarge();
      }
      await intake.acquire();
      // Held until the route is done with the file, whichever way it ends.
      let released = false;
      const release = () => {
        if (!released) intake.release();
        released = true;
      };
      if (req.destroyed) {
        // Gone while it waited: the parser would wait for a 'close' already past.
        release();
        throw new AppError('REQUEST_REJECTED', 'The request was aborted');
      }
      try {
        const handled = await this.parse(context, next, req);
        return handled.pipe(finalize(release));
      } catch (error) {
        release();
        throw error;
      }
    }

    private async parse(
      context: ExecutionContext,
      next: CallHandler,
      req: Request,
    ): Promise<Observable<unknown>> {
      let handled: Observable<unknown>;
      try {
        handled = await this.parser.intercept(context, next);
      } catch (error) {
        throw this.translate(error);
      }
      const file = filesOf(req)[0];
      if (options.fileField !== undefined && file && file.fieldname !== options.fileField) {
        throw new AppError('VALIDATION_FAILED', `The file part must be named ${options.fileField}`);
      }
      if (options.multipartOnly && !file) {
        throw new AppError('VALIDATION_FAILED', 'The request has no file part');
      }
      return handled;
    }

    private tooLarge(): AppError {
      return new AppError('PAYLOAD_TOO_LARGE', `The image is over ${this.config.maxBytes} bytes`);
    }

    private translate(error: unknown): unknown {
      if (!(error instanceof HttpException)) return error;
      const status = error.getStatus();
      if (status === 413) return this.tooLarge();
      if (status === 400) {
        // Too many files or fields, a field too long, a malformed field name:
        // the form, not its framing. A broken body (no boundary, cut short) is framing.
        return /^Multipart:|boundary/i.test(error.message)
          ? new AppError('REQUEST_REJECTED', 'The multipart body could not be read')
          : new AppError('VALIDATION_FAILED', `The form is not accepted: ${error.message}`);
      }
      return error;
    }
  }
  return mixin(MultipartUploadInterceptor);
}

function filesOf(req: Request): UploadedFilePart[] {
  const files = (req as Request & { files?: unknown }).files;
  return Array.isArray(files) ? (files as UploadedFilePart[]) : [];
}

/** The request's one file part, if it had one. */
export const UploadedFilePart = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UploadedFilePart | undefined =>
    filesOf(context.switchToHttp().getRequest<Request>())[0],
);
